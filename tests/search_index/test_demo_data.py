"""The synthetic set: valid, deterministic, and showing every state an officer can meet."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from search_index.confusables import confusable_key, substitutions
from search_index.demo_data import NUMBER_BLOCK, SCALES, write_demo_data
from search_index.importer import load_directory
from search_index.records import FAMILY_MEMBER, PERSON_CATEGORIES, Dataset

TODAY = date(2026, 3, 10)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Dataset]:
    directory = tmp_path_factory.mktemp("demo")
    write_demo_data(directory, scale="small", seed=3, today=TODAY)
    return directory, load_directory(directory)


def test_small_set_imports_cleanly_with_the_promised_counts(demo: tuple[Path, Dataset]) -> None:
    _, dataset = demo
    spec = SCALES["small"]
    assert dataset.counts() == {
        "missions": spec.missions,
        "persons": spec.persons,
        "vehicles": spec.vehicles,
        "licenses": spec.licenses,
    }


def test_full_scale_matches_the_real_population() -> None:
    full = SCALES["full"]
    assert (full.missions, full.persons, full.vehicles, full.licenses) == (
        2600,
        124_000,
        12_000,
        45_000,
    )


def test_same_seed_and_day_give_the_same_bytes(tmp_path: Path) -> None:
    write_demo_data(tmp_path / "a", seed=5, today=TODAY)
    write_demo_data(tmp_path / "b", seed=5, today=TODAY)
    write_demo_data(tmp_path / "c", seed=6, today=TODAY)
    for name in ("missions.csv", "persons.csv", "vehicles.csv", "licenses.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "persons.csv").read_bytes() != (
        tmp_path / "c" / "persons.csv"
    ).read_bytes()


def test_dates_follow_the_given_day(tmp_path: Path) -> None:
    later = TODAY + timedelta(days=400)
    write_demo_data(tmp_path / "now", seed=5, today=TODAY)
    write_demo_data(tmp_path / "later", seed=5, today=later)
    now = load_directory(tmp_path / "now")
    shifted = load_directory(tmp_path / "later")
    assert [v.policy_expiry for v in shifted.vehicles] == [
        v.policy_expiry + timedelta(days=400) if v.policy_expiry else None for v in now.vehicles
    ]


def test_every_category_and_mission_type(demo: tuple[Path, Dataset]) -> None:
    _, dataset = demo
    assert {p.category for p in dataset.persons} == {*PERSON_CATEGORIES, FAMILY_MEMBER}
    assert {m.mission_type for m in dataset.missions} == {
        "embassy",
        "consular_post",
        "honorary_consular_post",
        "mission_to_io",
        "international_organization",
        "tecro_teco",
    }


def test_every_person_state(demo: tuple[Path, Dataset]) -> None:
    _, dataset = demo
    persons = dataset.persons
    assert {p.accreditation_status for p in persons} == {"active", "pending", "terminated"}
    assert {p.credential_type for p in persons} == {"diplomatic", "official", "consular"}
    assert {p.credential_status for p in persons} == {
        "valid",
        "expired",
        "revoked",
        "lost_or_stolen",
    }
    assert {p.immunity_override for p in persons} >= {"full", "official_acts", "none"}
    assert all(p.override_reason for p in persons if p.immunity_override)
    us = {p.category for p in persons if p.us_national_or_resident}
    assert {FAMILY_MEMBER, "diplomatic_agent", "consular_employee", "service_staff"} <= us
    assert {(p.travel_control, p.travel_zone) for p in persons} >= {
        ("none", None),
        ("notify", "dc"),
        ("approval", "dc"),
    }
    controlled = [p for p in persons if p.travel_control != "none"]
    covering = [p for p in controlled if p.travel_notice_until and p.travel_notice_until >= TODAY]
    lapsed = [p for p in controlled if p.travel_notice_until and p.travel_notice_until < TODAY]
    assert covering
    assert lapsed
    family = [p for p in persons if p.category == FAMILY_MEMBER]
    assert len(family) > len(persons) // 3


def test_every_vehicle_and_insurance_state(demo: tuple[Path, Dataset]) -> None:
    _, dataset = demo
    vehicles = dataset.vehicles
    assert {v.vehicle_type for v in vehicles} == {"car", "motorcycle", "trailer", "other"}
    assert {v.registration_status for v in vehicles} == {
        "active",
        "suspended",
        "expired",
        "revoked",
        "stolen",
    }
    insured = [v for v in vehicles if v.policy_number]
    assert any(v.vehicle_type == "car" and not v.policy_number for v in vehicles)  # none
    assert any(v.policy_cancelled for v in insured)
    assert any(v.policy_expiry and v.policy_expiry < TODAY for v in insured)  # lapsed
    assert any(
        v.policy_expiry and TODAY <= v.policy_expiry < TODAY + timedelta(days=30) for v in insured
    )  # expiring
    assert any(v.policy_effective and v.policy_effective > TODAY for v in insured)
    assert any(v.coverage_csl is not None and v.coverage_csl < 300_000 for v in insured)
    assert any(v.coverage_bi_person is not None and v.coverage_bi_person < 100_000 for v in insured)
    motorcycles = [v for v in insured if v.vehicle_type == "motorcycle"]
    assert any(v.coverage_pd == 50_000 for v in motorcycles)
    assert all(not v.policy_number for v in vehicles if v.vehicle_type == "trailer")
    assert any(v.owner_mission_id for v in vehicles)
    assert any(v.owner_person_id for v in vehicles)


def test_plates_that_differ_only_by_confusable_characters(demo: tuple[Path, Dataset]) -> None:
    _, dataset = demo
    by_key: dict[str, list[str]] = defaultdict(list)
    for vehicle in dataset.vehicles:
        by_key[confusable_key(vehicle.plate)].append(vehicle.plate)
    pairs = [
        (a, b)
        for plates in by_key.values()
        for a in plates
        for b in plates
        if a < b and substitutions(a, b)
    ]
    assert len(pairs) >= 4


def test_every_licence_state(demo: tuple[Path, Dataset]) -> None:
    _, dataset = demo
    licences = dataset.licenses
    assert {lic.status for lic in licences} == {"valid", "suspended", "revoked", "expired"}
    points = {lic.points for lic in licences}
    assert {0, 7, 8, 11, 12} <= points
    assert max(points) > 12


def test_names_are_invented_and_accented(demo: tuple[Path, Dataset]) -> None:
    directory, dataset = demo
    with open(directory / "persons.csv", encoding="utf-8") as handle:
        names = [row["family_name"] for row in csv.DictReader(handle)]
    assert any(not name.isascii() for name in names)  # accents to exercise name search
    codes = {v.plate[1:3] for v in dataset.vehicles if v.plate[0] in "DCSA"}
    assert codes  # two-letter codes drawn at random from the seed, not from a list


def test_fleet10x_scale_is_ten_full_fleets_with_the_full_population() -> None:
    """The OFM benchmark's set: ten times the missions and vehicles, the same persons and
    licences as the full scale (whose credential numbers must still fit one block)."""
    full, fleet = SCALES["full"], SCALES["fleet10x"]
    assert (fleet.missions, fleet.vehicles) == (10 * full.missions, 10 * full.vehicles)
    assert (fleet.persons, fleet.licenses, fleet.countries) == (
        full.persons,
        full.licenses,
        full.countries,
    )
    assert fleet.persons < NUMBER_BLOCK
