"""The contract JSON of person and plate answers (DESIGN.md "JSON API")."""

from __future__ import annotations

import json
from datetime import date

import pytest

from lookup.answers.build import (
    PLATE_NOTICE,
    AnswerContext,
    credential_matches_json,
    license_matches_json,
    matrix_json,
    person_hits_json,
    person_json,
    plate_matches_json,
)
from lookup.answers.models import MatrixOut, PersonOut, PlateMatchOut
from lookup.rules.immunity import load_matrix
from search_index.records import NumberMatch, PersonHit, PlateMatch, Substitution
from tests.factories import (
    CHILD_ID,
    CONSUL_ID,
    DIPLOMAT_ID,
    DIPLOMAT_LICENSE,
    DIPLOMAT_PLATE,
    SECOND_MISSION_ID,
    SERVICE_ID,
    SPOUSE_ID,
    make_license,
    make_mission,
    make_person,
    make_vehicle,
    small_dataset,
)
from tests.lookup.fakes import FakeSnapshot

TODAY = date(2026, 3, 15)
PHONE = "(571) 345-3146"
PERSON_KEYS = {
    "person_id",
    "name",
    "family_name",
    "given_names",
    "mission",
    "title",
    "category",
    "category_label",
    "us_national_or_resident",
    "immunity",
    "principal",
    "accreditation",
    "credential",
    "license",
    "travel_control",
    "flags",
}
IMMUNITY_KEYS = {
    "level",
    "label",
    "basis",
    "basis_code",
    "actions",
    "actions_text",
    "family",
    "family_text",
    "notes",
    "summary",
    "footnotes",
}
ACTION_KEYS = {
    "arrest_or_detain",
    "enter_residence",
    "issue_citation",
    "subpoena_witness",
    "prosecute",
}


@pytest.fixture
def snapshot() -> FakeSnapshot:
    data = small_dataset()
    return FakeSnapshot(
        missions=data.missions,
        persons=data.persons,
        vehicles=data.vehicles,
        licenses=data.licenses,
    )


@pytest.fixture
def ctx() -> AnswerContext:
    return AnswerContext(today=TODAY, verify_phone=PHONE)


def test_person_shape_and_values(snapshot: FakeSnapshot, ctx: AnswerContext) -> None:
    body = person_json(snapshot, snapshot.persons[DIPLOMAT_ID], ctx)
    assert set(body) == PERSON_KEYS
    assert "date_of_birth" not in body
    assert body["name"] == "Ostrander, Mirela"
    assert body["category_label"] == "Diplomatic agent"
    assert body["mission"]["name"] == "Embassy of Valdoria"
    immunity = body["immunity"]
    assert set(immunity) == IMMUNITY_KEYS
    assert set(immunity["actions"]) == ACTION_KEYS
    assert set(immunity["actions_text"]) == ACTION_KEYS
    assert immunity["level"] == "full"
    assert immunity["family"] == "same_as_principal"
    assert immunity["summary"].startswith("FULL IMMUNITY")
    assert {"code", "text"} == set(immunity["footnotes"][0])
    assert body["principal"] is None
    assert body["accreditation"]["status"] == "active"
    assert body["credential"]["status"] == "valid"
    assert body["credential"]["expiry"] == "2027-09-01"
    assert body["license"]["license_number"] == DIPLOMAT_LICENSE
    assert body["license"]["status"] == "valid"
    assert body["travel_control"]["regime"] == "none"
    assert body["flags"] == []
    json.dumps(body)  # plain JSON, no dates or models left


def test_an_answer_changed_by_its_caller_leaves_the_next_answer_alone(
    snapshot: FakeSnapshot, ctx: AnswerContext
) -> None:
    """Answers share the matrix's rows; each answer gets its own copies of them."""
    first = person_json(snapshot, snapshot.persons[DIPLOMAT_ID], ctx)
    pristine = json.dumps(first)
    immunity = first["immunity"]
    immunity["actions"]["arrest_or_detain"] = "yes"
    immunity["actions_text"]["arrest_or_detain"] = "changed"
    immunity["footnotes"][0]["text"] = "changed"
    immunity["footnotes"].clear()
    first["credential"]["notes"].append("changed")
    assert json.dumps(person_json(snapshot, snapshot.persons[DIPLOMAT_ID], ctx)) == pristine


def test_date_of_birth_only_when_asked(snapshot: FakeSnapshot) -> None:
    ctx = AnswerContext(today=TODAY, verify_phone=PHONE, include_date_of_birth=True)
    body = person_json(snapshot, snapshot.persons[DIPLOMAT_ID], ctx)
    assert body["date_of_birth"] == "1975-04-12"
    service = person_json(snapshot, snapshot.persons[SERVICE_ID], ctx)
    assert "date_of_birth" not in service  # none on record: no empty field either


def test_us_national_spouse(snapshot: FakeSnapshot, ctx: AnswerContext) -> None:
    body = person_json(snapshot, snapshot.persons[SPOUSE_ID], ctx)
    assert body["category"] == "family_member"
    assert body["category_label"] == "Family member"
    assert body["principal"] == {
        "person_id": DIPLOMAT_ID,
        "name": "Ostrander, Mirela",
        "category": "diplomatic_agent",
        "category_label": "Diplomatic agent",
    }
    assert body["immunity"]["level"] == "none"
    assert body["immunity"]["basis_code"] == "us_national"


def test_child_follows_principal(snapshot: FakeSnapshot, ctx: AnswerContext) -> None:
    body = person_json(snapshot, snapshot.persons[CHILD_ID], ctx)
    assert body["immunity"]["level"] == "full"
    assert body["immunity"]["basis"].startswith("Family member of Ostrander, Mirela")
    assert body["credential"] is None


def test_override_consul_with_travel_and_points(snapshot: FakeSnapshot, ctx: AnswerContext) -> None:
    body = person_json(snapshot, snapshot.persons[CONSUL_ID], ctx)
    assert body["immunity"]["level"] == "full"
    assert "recorded by OFM" in body["immunity"]["basis"]
    assert body["license"]["points_alert"] == "review"
    travel = body["travel_control"]
    assert travel["regime"] == "notify"
    assert travel["zone"] == "nyc"
    assert travel["covers_today"] is False  # notice on file ended 2026-01-15
    assert body["flags"] == ["senior", "duty_officer"]


def test_pending_person_is_unverified(snapshot: FakeSnapshot, ctx: AnswerContext) -> None:
    body = person_json(snapshot, snapshot.persons[SERVICE_ID], ctx)
    assert body["immunity"]["level"] == "unverified"
    assert any(PHONE in n for n in body["immunity"]["notes"])
    assert body["accreditation"]["status"] == "pending"
    assert body["license"]["status"] == "suspended"
    assert body["license"]["points_alert"] == "suspension"
    assert body["credential"]["status"] == "expired"


def test_person_json_validates_against_model(snapshot: FakeSnapshot, ctx: AnswerContext) -> None:
    for found in snapshot.persons.values():
        PersonOut.model_validate(person_json(snapshot, found, ctx))


def test_person_hit_carries_score(snapshot: FakeSnapshot, ctx: AnswerContext) -> None:
    body = person_hits_json(snapshot, [PersonHit(snapshot.persons[DIPLOMAT_ID], 0.87)], ctx)[0]
    assert body["score"] == 0.87
    assert body["person_id"] == DIPLOMAT_ID


def test_credential_answer_is_the_holder(snapshot: FakeSnapshot, ctx: AnswerContext) -> None:
    holder = snapshot.find_credential("CN550101")
    assert holder is not None
    body = credential_matches_json(snapshot, [NumberMatch("exact", 1.0, holder)], ctx)[0]
    assert body["person_id"] == CONSUL_ID
    assert body["credential"]["type_label"] == "Consular (red border)"
    assert (body["match"], body["score"], body["substitutions"]) == ("exact", 1.0, [])


def test_a_look_alike_card_names_its_substitutions(
    snapshot: FakeSnapshot, ctx: AnswerContext
) -> None:
    holder = snapshot.persons[CONSUL_ID]
    sub = Substitution(position=1, typed="M", matched="N")
    body = credential_matches_json(snapshot, [NumberMatch("confusable", 0.9, holder, (sub,))], ctx)[
        0
    ]
    assert body["match"] == "confusable"
    assert body["substitutions"] == [{"position": 1, "typed": "M", "matched": "N"}]


def test_license_answer(snapshot: FakeSnapshot, ctx: AnswerContext) -> None:
    licence = snapshot.licenses[DIPLOMAT_LICENSE]
    body = license_matches_json(snapshot, [NumberMatch("exact", 1.0, licence)], ctx)[0]
    assert body["license"]["license_number"] == DIPLOMAT_LICENSE
    assert list(body)[:3] == ["match", "score", "substitutions"]
    assert body["person"]["person_id"] == DIPLOMAT_ID
    orphan = make_license(license_number="OFM9", person_id="NOBODY", expiry=date(2026, 3, 14))
    body = license_matches_json(snapshot, [NumberMatch("exact", 1.0, orphan)], ctx)[0]
    assert body["person"] is None
    assert body["license"]["status"] == "expired"


def test_plate_match_for_person_registrant(snapshot: FakeSnapshot, ctx: AnswerContext) -> None:
    vehicle = snapshot.vehicles[DIPLOMAT_PLATE]
    typed = PlateMatch("confusable", 0.9, vehicle, (Substitution(3, "I", "1"),))
    body = plate_matches_json(snapshot, [typed], ctx)[0]
    assert set(body) == {
        "match",
        "score",
        "substitutions",
        "vehicle",
        "registrant",
        "persons",
        "persons_truncated",
        "notice",
    }
    assert body["match"] == "confusable"
    assert body["substitutions"] == [{"position": 3, "typed": "I", "matched": "1"}]
    assert body["notice"] == PLATE_NOTICE
    assert "not the driver" in body["notice"]
    assert body["registrant"]["person"]["person_id"] == DIPLOMAT_ID
    assert set(body["registrant"]) == {"person"}
    ids = [p["person_id"] for p in body["persons"]]
    assert ids == [DIPLOMAT_ID, SPOUSE_ID, CHILD_ID]
    assert body["persons_truncated"] is False
    vehicle_out = body["vehicle"]
    assert vehicle_out["plate"] == DIPLOMAT_PLATE
    assert vehicle_out["registration"]["status"] == "active"
    insurance = vehicle_out["insurance"]
    assert insurance["status"] == "active"
    assert insurance["may_be_driven"] is True
    assert insurance["minimum"] == {
        "csl": 300_000,
        "bi_person": 100_000,
        "bi_accident": 300_000,
        "pd": 100_000,
    }
    assert insurance["meets_minimum"] is True
    assert "may not be searched" in vehicle_out["immune_vehicle_rule"]
    PlateMatchOut.model_validate(body)


def test_plate_registered_to_family_member_lists_household(
    snapshot: FakeSnapshot, ctx: AnswerContext
) -> None:
    car = make_vehicle(plate="DVL555", owner_person_id=SPOUSE_ID)
    body = plate_matches_json(snapshot, [PlateMatch("exact", 1.0, car)], ctx)[0]
    assert [p["person_id"] for p in body["persons"]] == [SPOUSE_ID, DIPLOMAT_ID, CHILD_ID]
    # The U.S.-national spouse has no immunity: no vehicle inviolability.
    assert body["vehicle"]["immune_vehicle_rule"] is None


def test_cancelled_motorcycle_may_not_be_driven(snapshot: FakeSnapshot, ctx: AnswerContext) -> None:
    body = plate_matches_json(
        snapshot, [PlateMatch("exact", 1.0, snapshot.vehicles["DVL77"])], ctx
    )[0]
    insurance = body["vehicle"]["insurance"]
    assert insurance["status"] == "lapsed"
    assert insurance["cancelled"] is True
    assert insurance["may_be_driven"] is False
    assert insurance["minimum"]["pd"] == 50_000
    assert any("may not be driven" in n for n in insurance["notes"])


def test_plate_for_mission_registrant(snapshot: FakeSnapshot, ctx: AnswerContext) -> None:
    body = plate_matches_json(
        snapshot, [PlateMatch("exact", 1.0, snapshot.vehicles["CCR0581"])], ctx
    )[0]
    assert set(body["registrant"]) == {"mission"}
    assert body["registrant"]["mission"]["mission_id"] == SECOND_MISSION_ID
    assert [p["person_id"] for p in body["persons"]] == [CONSUL_ID]
    assert body["vehicle"]["insurance"]["status"] == "none"
    # A consular post's vehicles are not inviolable as an embassy's are.
    assert body["vehicle"]["immune_vehicle_rule"] is None


def test_embassy_vehicle_rule_and_members_limit() -> None:
    members = [make_person(person_id=f"P{i:02}", credential_number=None) for i in range(5)]
    car = make_vehicle(plate="DEM1", owner_person_id=None, owner_mission_id="M-VAL")
    snapshot = FakeSnapshot(missions=[make_mission()], persons=members, vehicles=[car])
    ctx = AnswerContext(today=TODAY, verify_phone=PHONE, members_limit=3)
    body = plate_matches_json(snapshot, [PlateMatch("exact", 1.0, car)], ctx)[0]
    assert len(body["persons"]) == 3
    assert body["persons_truncated"] is True
    assert body["vehicle"]["immune_vehicle_rule"] is not None


def test_missing_registrant_is_said_not_hidden(ctx: AnswerContext) -> None:
    car = make_vehicle(plate="DXX1", owner_person_id="GONE")
    body = plate_matches_json(FakeSnapshot(vehicles=[car]), [PlateMatch("exact", 1.0, car)], ctx)[0]
    assert body["registrant"] == {"missing": "person"}
    assert body["persons"] == []


def test_the_matches_of_one_answer_read_each_kind_of_record_once(
    snapshot: FakeSnapshot, ctx: AnswerContext
) -> None:
    # Four registrants in two missions, the diplomat's household twice (two cars), and a car
    # of a mission: one read of persons, families, missions and licences for all of them.
    plates = [DIPLOMAT_PLATE, "DVLI234", "DVLIZ34", "DVL77", "CCR0581"]
    matches = [PlateMatch("exact", 1.0, snapshot.vehicles[plate]) for plate in plates]
    found = plate_matches_json(snapshot, matches, ctx)
    assert [match["vehicle"]["plate"] for match in found] == plates
    reads = [call.split(":")[0] for call in snapshot.calls]
    assert sorted(reads) == ["families_of", "licenses_of", "missions_by_id", "persons_by_id"]
    assert snapshot.calls[0] == f"persons_by_id:{DIPLOMAT_ID},{CONSUL_ID},{SERVICE_ID}"


def test_an_answer_of_several_matches_is_the_answers_of_each(
    snapshot: FakeSnapshot, ctx: AnswerContext
) -> None:
    plates = [DIPLOMAT_PLATE, "DVLI234", "CCR0581", "DVL77"]
    matches = [PlateMatch("exact", 1.0, snapshot.vehicles[plate]) for plate in plates]
    together = plate_matches_json(snapshot, matches, ctx)
    assert together == [plate_matches_json(snapshot, [match], ctx)[0] for match in matches]


def test_number_matches_read_each_kind_of_record_once(
    snapshot: FakeSnapshot, ctx: AnswerContext
) -> None:
    licences = [NumberMatch("exact", 1.0, lic) for lic in snapshot.licenses.values()]
    found = license_matches_json(snapshot, licences, ctx)
    assert found == [license_matches_json(snapshot, [match], ctx)[0] for match in licences]
    snapshot.calls.clear()
    license_matches_json(snapshot, licences, ctx)
    # The licences shown are the ones found: no licence is read again.
    assert sorted(call.split(":")[0] for call in snapshot.calls) == [
        "missions_by_id",
        "persons_by_id",
    ]
    cards = [NumberMatch("exact", 1.0, person) for person in snapshot.persons.values()]
    snapshot.calls.clear()
    held = credential_matches_json(snapshot, cards, ctx)
    assert sorted(call.split(":")[0] for call in snapshot.calls) == [
        "licenses_of",
        "missions_by_id",
    ]
    assert held == [credential_matches_json(snapshot, [card], ctx)[0] for card in cards]


def test_name_search_hits_read_each_kind_of_record_once(
    snapshot: FakeSnapshot, ctx: AnswerContext
) -> None:
    hits = [PersonHit(person, 1.0) for person in snapshot.persons.values()]
    found = person_hits_json(snapshot, hits, ctx)
    assert [hit["person_id"] for hit in found] == list(snapshot.persons)
    reads = sorted(call.split(":")[0] for call in snapshot.calls)
    assert reads == ["licenses_of", "missions_by_id"]  # principals are among the hits
    assert found == [person_hits_json(snapshot, [hit], ctx)[0] for hit in hits]


def licence_reads(snapshot: FakeSnapshot) -> list[str]:
    return [call for call in snapshot.calls if call.startswith("licenses_of:")]


def test_a_plate_answer_reads_every_licence_shown_at_once(
    snapshot: FakeSnapshot, ctx: AnswerContext
) -> None:
    household = plate_matches_json(
        snapshot, [PlateMatch("exact", 1.0, snapshot.vehicles[DIPLOMAT_PLATE])], ctx
    )[0]
    assert licence_reads(snapshot) == [f"licenses_of:{DIPLOMAT_ID},{SPOUSE_ID},{CHILD_ID}"]
    registrant, *family = household["persons"]
    assert registrant is household["registrant"]["person"]  # built once
    assert registrant["license"]["license_number"] == DIPLOMAT_LICENSE
    assert [p["license"] for p in family] == [None, None]


def test_mission_members_licences_are_one_read_of_the_members_shown() -> None:
    members = [make_person(person_id=f"P{i:02}", credential_number=None) for i in range(5)]
    licences = [make_license(license_number=f"OFM{i}", person_id=f"P{i:02}") for i in (1, 3, 4)]
    car = make_vehicle(plate="DEM1", owner_person_id=None, owner_mission_id="M-VAL")
    snapshot = FakeSnapshot(
        missions=[make_mission()], persons=members, vehicles=[car], licenses=licences
    )
    ctx = AnswerContext(today=TODAY, verify_phone=PHONE, members_limit=4)
    body = plate_matches_json(snapshot, [PlateMatch("exact", 1.0, car)], ctx)[0]
    # The fifth member is read only to tell that the list was cut, and is not shown.
    assert licence_reads(snapshot) == ["licenses_of:P00,P01,P02,P03"]
    shown = [
        (p["person_id"], p["license"] and p["license"]["license_number"]) for p in body["persons"]
    ]
    assert shown == [("P00", None), ("P01", "OFM1"), ("P02", None), ("P03", "OFM3")]


def test_a_plate_without_persons_to_show_reads_no_licence(ctx: AnswerContext) -> None:
    car = make_vehicle(plate="DXX1", owner_person_id="GONE")
    snapshot = FakeSnapshot(vehicles=[car])
    plate_matches_json(snapshot, [PlateMatch("exact", 1.0, car)], ctx)[0]
    assert licence_reads(snapshot) == []


def test_matrix_json_matches_the_matrix() -> None:
    matrix = load_matrix()
    body = matrix_json(matrix)
    MatrixOut.model_validate(body)
    assert [c["code"] for c in body["categories"]] == list(matrix.categories)
    consul = next(c for c in body["categories"] if c["code"] == "career_consular_officer")
    assert consul["actions"]["arrest_or_detain"] == "felony_warrant_only"
    assert consul["actions_text"]["arrest_or_detain"].startswith("Arrest or detain only")
    assert "consular_residence" in consul["footnotes"]
    assert [lv["code"] for lv in body["levels"]] == ["full", "official_acts", "none", "unverified"]
    assert body["us_national_or_resident"]["by_category"]["family_member"] == "none"
    json.dumps(body)


def test_models_give_a_full_openapi_schema() -> None:
    schema = PlateMatchOut.model_json_schema(mode="serialization")
    person_schema = schema["$defs"]["PersonOut"]
    assert PERSON_KEYS | {"date_of_birth"} == set(person_schema["properties"])
    assert "date_of_birth" not in person_schema["required"]
    immunity = schema["$defs"]["ImmunityOut"]
    assert set(immunity["properties"]) == IMMUNITY_KEYS


def test_context_refuses_a_members_limit_below_one() -> None:
    with pytest.raises(ValueError, match="members_limit"):
        AnswerContext(today=TODAY, verify_phone=PHONE, members_limit=0)
