"""Small builders for records and a small deterministic Dataset, for every package's tests.

`make_person(category="service_staff")` gives a valid record with only what the test cares about
spelled out; `small_dataset()` gives a consistent set (one family, one vehicle per ownership kind,
confusable plates, licences with points) that tests publish into a backend. Its contents are fixed:
tests may rely on the identifiers listed in the constants below.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from lookup.store.base import AuditRecord
from search_index.demo_data import write_csv
from search_index.importer import COLUMNS, LICENSES, MISSIONS, PERSONS, VEHICLES
from search_index.records import Dataset, License, Mission, Person, Vehicle

MISSION_ID = "M-VAL"
SECOND_MISSION_ID = "M-COR"
DIPLOMAT_ID = "P-0001"
SPOUSE_ID = "P-0002"
CHILD_ID = "P-0003"
CONSUL_ID = "P-0004"
SERVICE_ID = "P-0005"
DIPLOMAT_PLATE = "DVL1234"
DIPLOMAT_CREDENTIAL = "DA123456"
DIPLOMAT_LICENSE = "OFM100200"


def make_mission(**overrides: Any) -> Mission:
    values: dict[str, Any] = {
        "mission_id": MISSION_ID,
        "name": "Embassy of Valdoria",
        "country": "Valdoria",
        "mission_type": "embassy",
        "city": "Washington",
        "state": "DC",
        "phone": "+1 202 555 0100",
    }
    return Mission(**(values | overrides))


def make_person(**overrides: Any) -> Person:
    values: dict[str, Any] = {
        "person_id": DIPLOMAT_ID,
        "mission_id": MISSION_ID,
        "family_name": "Ostrander",
        "given_names": "Mirela",
        "date_of_birth": date(1975, 4, 12),
        "title": "Counsellor",
        "category": "diplomatic_agent",
        "accreditation_status": "active",
        "accreditation_start": date(2022, 9, 1),
        "credential_number": DIPLOMAT_CREDENTIAL,
        "credential_type": "diplomatic",
        "credential_expiry": date(2027, 9, 1),
        "credential_status": "valid",
    }
    return Person(**(values | overrides))


def make_vehicle(**overrides: Any) -> Vehicle:
    values: dict[str, Any] = {
        "plate": DIPLOMAT_PLATE,
        "registration_status": "active",
        "owner_person_id": DIPLOMAT_ID,
        "vin": "1HGCM82633A004352",
        "make": "Tatra",
        "model": "T700",
        "year": 2021,
        "color": "black",
        "registration_expiry": date(2027, 3, 31),
        "insurer": "Meridian Mutual",
        "policy_number": "MM-778812",
        "policy_effective": date(2025, 4, 1),
        "policy_expiry": date(2027, 4, 1),
        "coverage_csl": 300_000,
    }
    return Vehicle(**(values | overrides))


def make_license(**overrides: Any) -> License:
    values: dict[str, Any] = {
        "license_number": DIPLOMAT_LICENSE,
        "person_id": DIPLOMAT_ID,
        "status": "valid",
        "license_class": "D",
        "issued": date(2022, 10, 1),
        "expiry": date(2027, 10, 1),
        "points": 0,
    }
    return License(**(values | overrides))


def make_audit_record(**overrides: Any) -> AuditRecord:
    """A plate lookup by an officer of agency `a-1` that matched; override what the test needs."""
    values: dict[str, Any] = {
        "reference": "DC-00000-00001",
        "at": datetime(2026, 11, 24, 6, 0, tzinfo=UTC),
        "agency_id": "a-1",
        "actor": "officer:o1",
        "channel": "web",
        "action": "plate",
        "query": DIPLOMAT_PLATE,
        "reason": "crash",
        "outcome": "match",
        "client": "10.0.0.9",
        "detail": {"matches": 1},
    }
    return AuditRecord(**(values | overrides))


def small_dataset() -> Dataset:
    """Two missions, a diplomat with a spouse (U.S. national) and child, a consul with an
    override, a service staff member; plates that differ only by confusable characters."""
    missions = (
        make_mission(),
        make_mission(
            mission_id=SECOND_MISSION_ID,
            name="Consulate General of Corvania",
            country="Corvania",
            mission_type="consular_post",
            city="New York",
            state="NY",
        ),
    )
    persons = (
        make_person(),
        make_person(
            person_id=SPOUSE_ID,
            given_names="Tomás",
            family_name="Ostrander-Kiely",
            date_of_birth=date(1977, 1, 30),
            title=None,
            category="family_member",
            principal_id=DIPLOMAT_ID,
            us_national_or_resident=True,
            credential_number="DA123457",
        ),
        make_person(
            person_id=CHILD_ID,
            given_names="Ilse",
            date_of_birth=date(2012, 6, 2),
            title=None,
            category="family_member",
            principal_id=DIPLOMAT_ID,
            credential_number=None,
            credential_type=None,
            credential_expiry=None,
            credential_status=None,
        ),
        make_person(
            person_id=CONSUL_ID,
            mission_id=SECOND_MISSION_ID,
            family_name="Brézina",
            given_names="Jörg Anselm",
            date_of_birth=date(1968, 11, 5),
            title="Consul General",
            category="career_consular_officer",
            immunity_override="full",
            override_reason="Bilateral agreement",
            credential_number="CN550101",
            credential_type="consular",
            travel_control="notify",
            travel_zone="nyc",
            travel_notice_until=date(2026, 1, 15),
            flags=("senior", "duty_officer"),
        ),
        make_person(
            person_id=SERVICE_ID,
            family_name="Quell",
            given_names="Anika",
            date_of_birth=None,
            title="Driver",
            category="service_staff",
            accreditation_status="pending",
            credential_number="OF900001",
            credential_type="official",
            credential_status="expired",
        ),
    )
    vehicles = (
        make_vehicle(),
        # Differs from DVL1234 by 1/I: a confusable candidate.
        make_vehicle(plate="DVLI234", owner_person_id=CONSUL_ID, vin=None, color="white"),
        # Differs from DVL1234 by 1/I and 2/Z: the cap of two substitutions.
        make_vehicle(plate="DVLIZ34", owner_person_id=SERVICE_ID, vin=None, vehicle_type="other"),
        make_vehicle(
            plate="CCR0581",
            owner_person_id=None,
            owner_mission_id=SECOND_MISSION_ID,
            vin=None,
            insurer=None,
            policy_number=None,
            policy_effective=None,
            policy_expiry=None,
            coverage_csl=None,
        ),
        make_vehicle(
            plate="DVL77",
            vehicle_type="motorcycle",
            coverage_csl=None,
            coverage_bi_person=100_000,
            coverage_bi_accident=300_000,
            coverage_pd=50_000,
            policy_cancelled=True,
        ),
    )
    licenses = (
        make_license(),
        make_license(license_number="OFM100201", person_id=CONSUL_ID, points=8),
        make_license(
            license_number="OFM100202", person_id=SERVICE_ID, status="suspended", points=12
        ),
    )
    return Dataset(missions=missions, persons=persons, vehicles=vehicles, licenses=licenses)


def write_dataset_csv(dataset: Dataset, directory: Path) -> Path:
    """Write `dataset` as the four import files, so importer tests start from a valid set."""
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, tuple[Any, ...]] = {
        MISSIONS: dataset.missions,
        PERSONS: dataset.persons,
        VEHICLES: dataset.vehicles,
        LICENSES: dataset.licenses,
    }
    for name, records in files.items():
        rows = [dataclasses.asdict(record) for record in records]
        write_csv(directory / name, list(COLUMNS[name]), rows)
    return directory
