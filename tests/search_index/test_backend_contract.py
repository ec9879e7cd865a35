"""What every SearchBackend must do, run against each backend (see conftest.py)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search_index.backend import NoDataPublished, SearchBackend
from search_index.confusables import MAX_SUBSTITUTIONS, parse_plate_pattern, substitutions
from search_index.records import Dataset, Substitution
from tests.compliance_data import AS_OF as AS_OF_FOR_EXPIRY
from tests.compliance_data import compliance_dataset
from tests.factories import (
    CHILD_ID,
    CONSUL_ID,
    DIPLOMAT_CREDENTIAL,
    DIPLOMAT_ID,
    DIPLOMAT_PLATE,
    MISSION_ID,
    SECOND_MISSION_ID,
    SERVICE_ID,
    SPOUSE_ID,
    make_license,
    make_mission,
    make_person,
    make_vehicle,
    small_dataset,
)

fixture_scoped = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def plates_of(matches: list) -> list[str]:  # type: ignore[type-arg]
    return [m.vehicle.plate for m in matches]


def test_nothing_published(backend: SearchBackend) -> None:
    assert backend.dataset_info() is None
    with pytest.raises(NoDataPublished), backend.snapshot():
        pass
    backend.ping()


def test_publish_reports_counts_and_time(backend: SearchBackend) -> None:
    info = backend.publish(small_dataset())
    assert info.counts == {"missions": 2, "persons": 5, "vehicles": 5, "licenses": 3}
    assert info.published_at.tzinfo is not None
    assert backend.dataset_info() == info
    with backend.snapshot() as snap:
        assert snap.info == info


def test_records_round_trip_exactly(published: SearchBackend) -> None:
    dataset = small_dataset()
    with published.snapshot() as snap:
        for mission in dataset.missions:
            assert snap.get_mission(mission.mission_id) == mission
        for person in dataset.persons:
            assert snap.get_person(person.person_id) == person
        for vehicle in dataset.vehicles:
            assert snap.get_vehicle(vehicle.plate) == vehicle
        for licence in dataset.licenses:
            assert snap.find_license(licence.license_number) == licence
        assert snap.get_person("P-none") is None
        assert snap.get_mission("M-none") is None
        assert snap.get_vehicle("ZZ999") is None


@pytest.mark.parametrize(
    "typed", ["DVL1234", "dvl 1234", "D-V-L 1234", "ＤＶＬ１２３４", "dvl.1234"]
)
def test_exact_plate_first_whatever_the_formatting(published: SearchBackend, typed: str) -> None:
    with published.snapshot() as snap:
        matches = snap.find_plate(typed)
    assert matches[0].match == "exact"
    assert matches[0].score == 1.0
    assert matches[0].substitutions == ()
    assert matches[0].vehicle.plate == DIPLOMAT_PLATE


def test_confusable_candidates_ranked_with_substitutions(published: SearchBackend) -> None:
    with published.snapshot() as snap:
        matches = snap.find_plate("DVL1234")
    assert [(m.match, m.vehicle.plate) for m in matches] == [
        ("exact", "DVL1234"),
        ("confusable", "DVLI234"),
        ("confusable", "DVLIZ34"),
    ]
    assert matches[1].substitutions == (Substitution(3, "1", "I"),)
    assert matches[2].substitutions == (Substitution(3, "1", "I"), Substitution(4, "2", "Z"))
    assert matches[0].score > matches[1].score > matches[2].score


def test_confusable_without_exact_match(published: SearchBackend) -> None:
    with published.snapshot() as snap:
        assert snap.find_plate("DVLIZ3A") == []  # A/4 is not a confusion
        assert snap.find_plate("DVL12345") == []  # another length
        matches = snap.find_plate("0VLIZ34")  # D read as 0
    # DVLIZ34 is one substitution away, DVLI234 two; DVL1234 would need three.
    assert plates_of(matches) == ["DVLIZ34", "DVLI234"]
    assert all(m.match == "confusable" for m in matches)
    assert matches[0].substitutions == (Substitution(0, "0", "D"),)


def test_plate_limit_and_invalid_input(published: SearchBackend) -> None:
    with published.snapshot() as snap:
        assert plates_of(snap.find_plate("DVL1234", limit=2)) == ["DVL1234", "DVLI234"]
        with pytest.raises(ValueError, match="plate"):
            snap.find_plate("D")
        with pytest.raises(ValueError, match="plate"):
            snap.find_plate("DVL/1234")


@given(typed=st.text(alphabet="DVL0OI12Z34", min_size=5, max_size=8))
@fixture_scoped
def test_every_plate_answer_respects_the_rules(published: SearchBackend, typed: str) -> None:
    with published.snapshot() as snap:
        matches = snap.find_plate(typed)
    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True)
    for m in matches:
        subs = substitutions(typed, m.vehicle.plate)
        assert subs is not None
        assert len(subs) <= MAX_SUBSTITUTIONS
        assert m.substitutions == subs
        assert m.match == ("exact" if not subs else "confusable")


def test_partial_patterns(published: SearchBackend) -> None:
    with published.snapshot() as snap:
        matches = snap.find_plate_pattern("DVL?234")
        assert plates_of(matches) == ["DVL1234", "DVLI234"]
        assert all(m.match == "partial" for m in matches)
        assert plates_of(snap.find_plate_pattern("dvl 7*")) == ["DVL77"]
        assert plates_of(snap.find_plate_pattern("*0581")) == ["CCR0581"]
        assert plates_of(snap.find_plate_pattern("DV*34")) == ["DVL1234", "DVLI234", "DVLIZ34"]
        assert snap.find_plate_pattern("XX??99*") == []
        assert plates_of(snap.find_plate_pattern("DV*34", limit=1)) == ["DVL1234"]


def test_partial_ranks_the_more_specific_match_first(backend: SearchBackend) -> None:
    backend.publish(
        Dataset(
            missions=(make_mission(),),
            persons=(make_person(),),
            vehicles=(make_vehicle(plate="DVL100"), make_vehicle(plate="DVL19")),
            licenses=(),
        )
    )
    with backend.snapshot() as snap:
        matches = snap.find_plate_pattern("DVL1*")
    # 4 known characters of 5 beat 4 of 6, although DVL100 sorts first as text.
    assert plates_of(matches) == ["DVL19", "DVL100"]
    assert matches[0].score > matches[1].score


@pytest.mark.parametrize("pattern", ["DVL*", "*34", "??????", "DVL%", ""])
def test_partial_patterns_reject_bad_input(published: SearchBackend, pattern: str) -> None:
    with published.snapshot() as snap, pytest.raises(ValueError, match="pattern"):
        snap.find_plate_pattern(pattern)


def test_credentials_and_licences(published: SearchBackend) -> None:
    with published.snapshot() as snap:
        person = snap.find_credential("da-123 456")
        assert person is not None
        assert person.person_id == DIPLOMAT_ID
        consul = snap.find_credential("CN-55.0101")
        assert consul is not None
        assert consul.person_id == CONSUL_ID
        assert snap.find_credential("XX000000") is None
        licence = snap.find_license("ofm 100201")
        assert licence is not None
        assert (licence.person_id, licence.points) == (CONSUL_ID, 8)
        assert snap.find_license("OFM999") is None
        with pytest.raises(ValueError, match="number"):
            snap.find_credential(" - ")


def card_holders(*numbers: str) -> Dataset:
    """One person per ID card number, each with a licence numbered `L` + the card number."""
    base = small_dataset()
    persons = tuple(
        make_person(person_id=f"P-C{i}", credential_number=number)
        for i, number in enumerate(numbers)
    )
    licences = tuple(
        make_license(license_number=f"L{number}", person_id=f"P-C{i}")
        for i, number in enumerate(numbers)
    )
    return dataclasses.replace(base, persons=persons, licenses=licences, vehicles=())


def test_card_and_licence_numbers_tolerate_confusable_characters(backend: SearchBackend) -> None:
    # The card is O0435545 (a letter O first); the officer types a zero. B0435545 differs by
    # 0/B, not one confusion class; OO435S45 differs at three confusable positions, past the cap;
    # 00435545X has another length.
    backend.publish(card_holders("O0435545", "00435545X", "B0435545", "OO435S45"))
    with backend.snapshot() as snap:
        found = snap.find_credentials("00435545")
        assert [(m.match, m.record.credential_number) for m in found] == [
            ("confusable", "O0435545")
        ]
        assert found[0].substitutions == (Substitution(position=0, typed="0", matched="O"),)
        assert found[0].score < 1.0
        # The exact card first, then its look-alikes (here two substitutions away).
        exact = snap.find_credentials("o0-435 545")
        assert [(m.match, m.record.credential_number) for m in exact] == [
            ("exact", "O0435545"),
            ("confusable", "OO435S45"),
        ]
        assert exact[0].substitutions == ()
        assert [s.position for s in exact[1].substitutions] == [1, 5]
        licences = snap.find_licenses("L00435545")
        assert [(m.match, m.record.license_number) for m in licences] == [
            ("confusable", "LO0435545")
        ]
        assert licences[0].substitutions == (Substitution(position=1, typed="0", matched="O"),)
        assert snap.find_credentials("XX000000") == []
        assert snap.find_licenses("OFM999") == []
        with pytest.raises(ValueError, match="number"):
            snap.find_credentials(" - ")


@given(typed=st.text(alphabet="O0IB8S5Q1", min_size=3, max_size=9))
@fixture_scoped
def test_every_number_answer_respects_the_rules(backend: SearchBackend, typed: str) -> None:
    if backend.dataset_info() is None:
        backend.publish(card_holders("O0I8", "00I8", "0018", "OOIB", "O0IBS5", "QQ1155", "0O1B5"))
    with backend.snapshot() as snap:
        for matches, number_of in (
            (snap.find_credentials(typed), lambda m: m.record.credential_number),
            (snap.find_licenses("L" + typed), lambda m: m.record.license_number[1:]),
        ):
            keys = [(-m.score, number_of(m)) for m in matches]
            assert keys == sorted(keys)
            for m in matches:
                subs = substitutions(typed, number_of(m))
                assert subs is not None
                assert len(subs) <= MAX_SUBSTITUTIONS
                assert [(s.typed, s.matched) for s in m.substitutions] == [
                    (s.typed, s.matched) for s in subs
                ]
                assert m.match == ("exact" if not subs else "confusable")


def test_licences_of_several_persons_in_one_read(published: SearchBackend) -> None:
    dataset = small_dataset()
    with published.snapshot() as snap:
        held = snap.licenses_of([SERVICE_ID, CHILD_ID, CONSUL_ID, "P-none", SERVICE_ID])
        assert snap.licenses_of([]) == {}
        assert snap.licenses_of([CHILD_ID]) == {}
        everyone = snap.licenses_of([p.person_id for p in dataset.persons])
    assert sorted(held) == [CONSUL_ID, SERVICE_ID]  # no entry for a person without a licence
    assert held[SERVICE_ID].status == "suspended"
    assert held[CONSUL_ID].license_number == "OFM100201"
    assert everyone == {lic.person_id: lic for lic in dataset.licenses}


def test_a_person_with_several_licences_reads_as_the_lowest_number(
    backend: SearchBackend,
) -> None:
    """The importer allows one licence per person; a set built in code may hold more, and then
    every backend answers with the same one: the lowest number, whatever the file order."""
    backend.publish(
        Dataset(
            missions=(make_mission(),),
            persons=(make_person(), make_person(person_id=CONSUL_ID, credential_number=None)),
            vehicles=(),
            licenses=(
                make_license(license_number="OFM900"),
                make_license(license_number="OFM100", points=4),
                make_license(license_number="OFM500"),
                make_license(license_number="OFM950", person_id=CONSUL_ID),
            ),
        )
    )
    with backend.snapshot() as snap:
        held = snap.licenses_of([DIPLOMAT_ID, CONSUL_ID])
        alone = snap.licenses_of([DIPLOMAT_ID])
    assert {pid: lic.license_number for pid, lic in held.items()} == {
        DIPLOMAT_ID: "OFM100",
        CONSUL_ID: "OFM950",
    }
    assert held[DIPLOMAT_ID].points == 4
    assert alone == {DIPLOMAT_ID: held[DIPLOMAT_ID]}


def test_licences_of_more_persons_than_one_query_binds(backend: SearchBackend) -> None:
    """An answer never shows this many, but the read must not depend on a backend's limit on
    values per request."""
    persons = tuple(make_person(person_id=f"P{n:05}", credential_number=None) for n in range(1200))
    licences = tuple(
        make_license(license_number=f"OFM{n:05}", person_id=f"P{n:05}") for n in range(0, 1200, 3)
    )
    backend.publish(
        Dataset(missions=(make_mission(),), persons=persons, vehicles=(), licenses=licences)
    )
    with backend.snapshot() as snap:
        held = snap.licenses_of([p.person_id for p in persons])
    assert held == {lic.person_id: lic for lic in licences}


def test_records_are_read_together_by_id(published: SearchBackend) -> None:
    dataset = small_dataset()
    persons = {person.person_id: person for person in dataset.persons}
    missions = {mission.mission_id: mission for mission in dataset.missions}
    with published.snapshot() as snap:
        # Unknown ids are left out; one asked twice is read once.
        assert snap.persons_by_id([*persons, "P-none", DIPLOMAT_ID]) == persons
        assert snap.missions_by_id([*missions, "M-none", MISSION_ID]) == missions
        assert snap.persons_by_id([]) == {}
        assert snap.missions_by_id(["M-none"]) == {}


def test_families_read_together_are_each_family_of(backend: SearchBackend) -> None:
    # 120 principals with 0 to 3 family members each (more than one request's worth of
    # principals on Elasticsearch), and one with 450 before them in the file: more than one
    # family read holds there, and enough to fill a read of two families by itself.
    principals = [make_person(person_id=f"H{n:03}", credential_number=None) for n in range(120)]
    family = [
        make_person(
            person_id=f"F{n:03}-{k}",
            category="family_member",
            principal_id=f"H{n:03}",
            credential_number=None,
        )
        for n in range(120)
        for k in range(n % 4)
    ]
    large = [
        make_person(
            person_id=f"F999-{k:03}",
            category="family_member",
            principal_id="H000",
            credential_number=None,
        )
        for k in range(450)
    ]
    persons = (*principals, *large, *family)
    backend.publish(Dataset(missions=(make_mission(),), persons=persons, vehicles=(), licenses=()))
    heads = [p.person_id for p in principals]
    with backend.snapshot() as snap:
        one_by_one = {head: snap.family_of(head) for head in [*heads, "P-none"]}
        assert snap.families_of([*heads, "P-none", "H001"]) == one_by_one
        assert snap.families_of(["H000"]) == {"H000": one_by_one["H000"]}
        assert snap.families_of(["H000", "H003"]) == {
            "H000": one_by_one["H000"],
            "H003": one_by_one["H003"],
        }
        assert snap.families_of([]) == {}
    assert [p.person_id for p in one_by_one["H003"]] == ["F003-0", "F003-1", "F003-2"]


def test_relations(published: SearchBackend) -> None:
    with published.snapshot() as snap:
        assert [p.person_id for p in snap.family_of(DIPLOMAT_ID)] == [SPOUSE_ID, CHILD_ID]
        assert snap.family_of(SERVICE_ID) == []
        members = [p.person_id for p in snap.members_of(MISSION_ID)]
        assert members == [DIPLOMAT_ID, SERVICE_ID, SPOUSE_ID, CHILD_ID]
        assert len(snap.members_of(MISSION_ID, limit=2)) == 2
        assert [p.person_id for p in snap.members_of(SECOND_MISSION_ID)] == [CONSUL_ID]
        assert plates_of_vehicles(snap.vehicles_of_person(DIPLOMAT_ID)) == ["DVL1234", "DVL77"]
        assert snap.vehicles_of_person(CHILD_ID) == []


def plates_of_vehicles(vehicles: list) -> list[str]:  # type: ignore[type-arg]
    return [v.plate for v in vehicles]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Mirela Ostrander", DIPLOMAT_ID),
        ("ostrander mirela", DIPLOMAT_ID),  # word order
        ("Mirela Ostrnader", DIPLOMAT_ID),  # transposed letters
        ("Mirella Ostrander", DIPLOMAT_ID),  # an extra letter
        ("Jorg Brezina", CONSUL_ID),  # accents
        ("BRÉZINA JÖRG ANSELM", CONSUL_ID),
        ("tomas ostrander kiely", SPOUSE_ID),
        ("Anika Quel", SERVICE_ID),
    ],
)
def test_name_search_tolerates_order_typos_and_accents(
    published: SearchBackend, query: str, expected: str
) -> None:
    with published.snapshot() as snap:
        hits = snap.search_persons(query)
    assert hits
    assert hits[0].person.person_id == expected
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)


def test_name_search_filters(published: SearchBackend) -> None:
    with published.snapshot() as snap:
        everyone = {h.person.person_id for h in snap.search_persons("Ostrander")}
        assert {DIPLOMAT_ID, CHILD_ID} <= everyone
        born = snap.search_persons("Ostrander", date_of_birth=date(2012, 6, 2))
        assert [h.person.person_id for h in born] == [CHILD_ID]
        assert snap.search_persons("Ostrander", country="Corvania") == []
        abroad = snap.search_persons("brezina", country="corvania")
        assert [h.person.person_id for h in abroad] == [CONSUL_ID]
        assert snap.search_persons("Zzyzx Qwerty") == []
        assert len(snap.search_persons("Ostrander", limit=1)) == 1
        with pytest.raises(ValueError, match="name"):
            snap.search_persons(" ' ")


def test_a_person_whose_name_has_no_letters_is_kept_and_found_by_number(
    backend: SearchBackend,
) -> None:
    # The importer refuses such a name; a Dataset built in code may hold one, and no backend
    # may refuse the whole set for it or find it by name.
    unnamed = make_person(
        person_id="P-unnamed", family_name="--", given_names="·", credential_number="OF777001"
    )
    dataset = small_dataset()
    backend.publish(dataclasses.replace(dataset, persons=(*dataset.persons, unnamed)))
    with backend.snapshot() as snap:
        assert snap.get_person("P-unnamed") == unnamed
        assert snap.find_credential("of-777001") == unnamed
        assert "P-unnamed" not in {h.person.person_id for h in snap.search_persons("Ostrander")}


def _second_set() -> Dataset:
    return Dataset(
        missions=(make_mission(),),
        persons=(make_person(family_name="Vantongeren"),),
        vehicles=(make_vehicle(plate="SVL9001"),),
        licenses=(make_license(points=3),),
    )


def test_publish_replaces_the_whole_set(published: SearchBackend) -> None:
    before = published.dataset_info()
    info = published.publish(_second_set())
    assert before is not None
    assert info.dataset_id != before.dataset_id
    assert published.dataset_info() == info
    with published.snapshot() as snap:
        assert snap.find_plate(DIPLOMAT_PLATE) == []
        assert plates_of(snap.find_plate("SVL9001")) == ["SVL9001"]
        assert snap.get_person(CONSUL_ID) is None
        assert [h.person.family_name for h in snap.search_persons("vantongeren")] == ["Vantongeren"]
        assert snap.search_persons("Brezina") == []
        licence = snap.find_license(make_license().license_number)
        assert licence is not None
        assert licence.points == 3


def test_publishing_the_same_set_again_gives_the_same_answers(published: SearchBackend) -> None:
    with published.snapshot() as snap:
        first = (snap.find_plate("DVL1234"), snap.search_persons("ostrander"))
    published.publish(small_dataset())
    with published.snapshot() as snap:
        again = (snap.find_plate("DVL1234"), snap.search_persons("ostrander"))
    assert again == first


def test_optional_fields_left_empty_round_trip(backend: SearchBackend) -> None:
    bare_person = dataclasses.replace(
        make_person(),
        given_names=None,
        date_of_birth=None,
        title=None,
        credential_number=None,
        credential_type=None,
        credential_expiry=None,
        credential_status=None,
        accreditation_start=None,
    )
    bare_vehicle = make_vehicle(
        vin=None, make=None, model=None, year=None, color=None, registration_expiry=None,
        insurer=None, policy_number=None, policy_effective=None, policy_expiry=None,
        coverage_csl=None,
    )  # fmt: skip
    backend.publish(
        Dataset(
            missions=(make_mission(city=None, state=None, phone=None),),
            persons=(bare_person,),
            vehicles=(bare_vehicle,),
            licenses=(),
        )
    )
    with backend.snapshot() as snap:
        assert snap.get_person(DIPLOMAT_ID) == bare_person
        assert snap.get_vehicle(DIPLOMAT_PLATE) == bare_vehicle
        assert snap.find_credential(DIPLOMAT_CREDENTIAL) is None


def test_a_person_is_listed_once_even_when_several_words_match(backend: SearchBackend) -> None:
    person = make_person(given_names="Mara Marra", family_name="Marah")
    backend.publish(
        Dataset(missions=(make_mission(),), persons=(person,), vehicles=(), licenses=())
    )
    with backend.snapshot() as snap:
        hits = snap.search_persons("mara")
    assert [hit.person.person_id for hit in hits] == [person.person_id]


@st.composite
def patterns_from_plates(draw: st.DrawFn) -> str:
    """A plate of the small set with characters masked by `?` and runs replaced by `*`."""
    plate = draw(st.sampled_from([v.plate for v in small_dataset().vehicles]))
    out = ""
    for ch in plate:
        out += draw(st.sampled_from([ch, ch, "?", "*", ""]))
    return out


@given(
    pattern=st.text(alphabet="DVLIZ12347C0R5*?", min_size=1, max_size=9) | patterns_from_plates()
)
@fixture_scoped
def test_partial_patterns_find_exactly_the_matching_plates(
    published: SearchBackend, pattern: str
) -> None:
    """Whatever index a backend uses, a pattern finds every plate it matches and no other."""
    try:
        parsed = parse_plate_pattern(pattern)
    except ValueError:
        with published.snapshot() as snap, pytest.raises(ValueError, match="pattern"):
            snap.find_plate_pattern(pattern)
        return
    expected = sorted(v.plate for v in small_dataset().vehicles if parsed.matches(v.plate))
    with published.snapshot() as snap:
        found = snap.find_plate_pattern(pattern)
    assert sorted(plates_of(found)) == expected


def _fleet_facts(dataset: Dataset) -> dict[tuple[object, ...], int]:
    """What policy_groups must count, computed naively from the records."""
    mission_of = {p.person_id: p.mission_id for p in dataset.persons}
    counts: dict[tuple[object, ...], int] = {}
    for v in dataset.vehicles:
        fleet = v.owner_mission_id or mission_of[v.owner_person_id or ""]
        key = (
            fleet,
            v.vehicle_type,
            v.insurer is not None or v.policy_number is not None,
            v.policy_effective,
            v.policy_expiry,
            v.policy_cancelled,
            v.coverage_csl,
            v.coverage_bi_person,
            v.coverage_bi_accident,
            v.coverage_pd,
        )
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_policy_groups_count_every_fleet_vehicle_once(backend: SearchBackend) -> None:
    dataset = compliance_dataset()
    backend.publish(dataset)
    with backend.snapshot() as snap:
        groups = snap.policy_groups()
    found = {
        (
            g.mission_id,
            g.vehicle_type,
            g.policy_identified,
            g.policy_effective,
            g.policy_expiry,
            g.policy_cancelled,
            g.coverage_csl,
            g.coverage_bi_person,
            g.coverage_bi_accident,
            g.coverage_pd,
        ): g.vehicles
        for g in groups
    }
    assert len(found) == len(groups)  # no group reported twice
    assert found == _fleet_facts(dataset)
    assert sum(g.vehicles for g in groups) == len(dataset.vehicles)
    assert [g.mission_id for g in groups] == sorted(g.mission_id for g in groups)
    assert max(g.vehicles for g in groups) == 2  # CMP007 and CMP009 share their facts


def test_policy_groups_page_through_many_groups(backend: SearchBackend) -> None:
    """More groups than one Elasticsearch composite page holds are all counted."""
    vehicles = tuple(
        make_vehicle(plate=f"PG{n:05d}", policy_number=f"N{n}", policy_expiry=date(2027, 1, 1))
        for n in range(2)
    ) + tuple(make_vehicle(plate=f"PX{n:05d}", coverage_csl=300_000 + n) for n in range(5_100))
    dataset = dataclasses.replace(small_dataset(), vehicles=vehicles)
    backend.publish(dataset)
    with backend.snapshot() as snap:
        groups = snap.policy_groups()
    assert len(groups) == 5_101
    assert sum(g.vehicles for g in groups) == 5_102


def test_expired_before(backend: SearchBackend) -> None:
    dataset = compliance_dataset()
    backend.publish(dataset)
    day = AS_OF_FOR_EXPIRY
    with backend.snapshot() as snap:
        found = snap.expired_before(day)
        assert snap.expired_before(date(2000, 1, 1)) == []
    mission_of = {p.person_id: p.mission_id for p in dataset.persons}
    expected = sorted(
        (
            (v.owner_mission_id or mission_of[v.owner_person_id or ""], v)
            for v in dataset.vehicles
            if v.policy_expiry is not None and v.policy_expiry < day
        ),
        key=lambda pair: pair[1].plate,
    )
    assert found == expected
    assert [v.plate for _, v in found] == ["CMP003", "CMP012", "CMP102"]


def test_fleet_and_missions(backend: SearchBackend) -> None:
    backend.publish(compliance_dataset())
    with backend.snapshot() as snap:
        fleet = [v.plate for v in snap.fleet_of(MISSION_ID)]
        second = snap.fleet_of(SECOND_MISSION_ID)
        missions = snap.missions()
        assert snap.fleet_of("M-none") == []
    assert fleet == [f"CMP{n:03d}" for n in range(1, 13)]
    assert [v.plate for v in second] == ["CMP101", "CMP102"]
    assert second[0] == compliance_dataset().vehicles[12]  # whole records
    assert missions == sorted(compliance_dataset().missions, key=lambda m: m.mission_id)
    assert missions[1].longitude == -77.0365  # coordinates round trip


def test_travel_controlled_persons(backend: SearchBackend) -> None:
    persons = [
        make_person(person_id=f"P-T{n}", mission_id=mission, travel_control=control)
        for n, (mission, control) in enumerate(
            [
                (SECOND_MISSION_ID, "approval"),
                (MISSION_ID, "notify"),
                (MISSION_ID, "none"),
                (MISSION_ID, "approval"),
            ]
        )
    ]
    base = small_dataset()
    backend.publish(dataclasses.replace(base, persons=base.persons + tuple(persons)))
    with backend.snapshot() as snap:
        found = snap.travel_controlled()
    # small_dataset's consul (M-COR, notify) and the three controlled persons above.
    assert [(p.mission_id, p.person_id) for p in found] == [
        (SECOND_MISSION_ID, "P-0004"),
        (SECOND_MISSION_ID, "P-T0"),
        (MISSION_ID, "P-T1"),
        (MISSION_ID, "P-T3"),
    ]
    assert found[0] == next(p for p in base.persons if p.person_id == "P-0004")


def test_travel_control_counted_by_zone_and_regime(
    backend: SearchBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's counts are what counting every controlled person gives (as the chart did)."""
    from search_index.elasticsearch import queries

    monkeypatch.setattr(queries, "TRAVEL_PAGE", 2)  # several composite pages on Elasticsearch
    controls = [
        ("notify", None), ("notify", None), ("approval", None), ("notify", "dc"),
        ("approval", "dc"), ("approval", "dc"), ("approval", "nyc"), ("none", None),
        ("none", "dc"),  # a zone without a regime is not under control
    ]  # fmt: skip
    persons = tuple(
        make_person(person_id=f"P-T{n}", travel_control=control, travel_zone=zone)
        for n, (control, zone) in enumerate(controls)
    )
    base = small_dataset()
    backend.publish(dataclasses.replace(base, persons=base.persons + persons))
    with backend.snapshot() as snap:
        found = snap.travel_control_counts()
        one_by_one = Counter((p.travel_zone, p.travel_control) for p in snap.travel_controlled())
    assert found == dict(one_by_one)
    # small_dataset's consul is under `notify` in the New York zone.
    assert found == {
        (None, "notify"): 2,
        (None, "approval"): 1,
        ("dc", "notify"): 1,
        ("dc", "approval"): 2,
        ("nyc", "notify"): 1,
        ("nyc", "approval"): 1,
    }


def test_credential_holders_and_all_vehicles(published: SearchBackend) -> None:
    dataset = small_dataset()
    with published.snapshot() as snap:
        holders = snap.credential_holders()
        vehicles = snap.all_vehicles()
    assert holders == sorted(
        (p for p in dataset.persons if p.credential_number is not None),
        key=lambda p: p.person_id,
    )
    assert len(holders) < len(dataset.persons)  # the child has no card
    assert vehicles == sorted(dataset.vehicles, key=lambda v: v.plate)
