"""From real answer JSON (lookup/answers/build.py) to a reply: every insurance, registration and
immunity state the rules produce, rendered through the adapter the webhook uses."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from lookup.answers.build import (
    AnswerContext,
    credential_matches_json,
    license_matches_json,
    plate_matches_json,
)
from lookup.answers.text import phrases
from lookup.answers.text.gsm7 import fits_one_segment
from lookup.answers.text.render import reply_for
from search_index.records import NumberMatch, PlateMatch, Substitution
from tests.factories import make_license, make_mission, make_person, make_vehicle
from tests.lookup.fakes import FakeSnapshot

TODAY = date(2026, 3, 15)
PHONE = "(571) 345-3146"
REFERENCE = "DC-ABCDE-FGHJK"
CTX = AnswerContext(today=TODAY, verify_phone=PHONE)

# Vehicle fields that make the insurance rules answer each status on TODAY.
INSURANCE_CASES: dict[str, dict[str, Any]] = {
    "active": {},
    "expiring": {"policy_expiry": TODAY + timedelta(days=10)},
    "lapsed": {"policy_expiry": TODAY - timedelta(days=1)},
    "not_yet_effective": {"policy_effective": TODAY + timedelta(days=5)},
    "below_minimum": {"coverage_csl": 1_000},
    "none": {
        "insurer": None,
        "policy_number": None,
        "policy_effective": None,
        "policy_expiry": None,
        "coverage_csl": None,
    },
    "not_required": {"vehicle_type": "trailer"},
}
REGISTRATION_CASES = ("active", "suspended", "expired", "revoked", "stolen")
# Person fields that make the immunity rules answer each level.
LEVEL_CASES: dict[str, dict[str, Any]] = {
    "full": {},
    "official_acts": {"category": "career_consular_officer"},
    "none": {"category": "consular_employee", "us_national_or_resident": True},
    "unverified": {"accreditation_status": "pending"},
}


def _body(match: dict[str, Any], normalized: str) -> dict[str, Any]:
    return {"matches": [match], "reference": REFERENCE, "query": {"normalized": normalized}}


@pytest.mark.parametrize("insurance", sorted(INSURANCE_CASES))
@pytest.mark.parametrize("registration", REGISTRATION_CASES)
@pytest.mark.parametrize("level", sorted(LEVEL_CASES))
def test_plate_answers_in_every_state(insurance: str, registration: str, level: str) -> None:
    person = make_person(family_name="Wolfeschlegelsteinhausen-Ñúñez", **LEVEL_CASES[level])
    car = make_vehicle(registration_status=registration, **INSURANCE_CASES[insurance])
    snapshot = FakeSnapshot(missions=[make_mission()], persons=[person], vehicles=[car])
    match = plate_matches_json(snapshot, [PlateMatch("exact", 1.0, car)], CTX)[0]
    assert match["vehicle"]["insurance"]["status"] == insurance
    assert match["registrant"]["person"]["immunity"]["level"] == level

    text = reply_for("plate", car.plate, _body(match, car.plate), PHONE)
    assert fits_one_segment(text)
    assert REFERENCE in text
    assert phrases.LEVEL[level] in text
    status = match["vehicle"]["registration"]["status"]
    assert phrases.REGISTRATION[status] in text
    if insurance in phrases.UNINSURED:
        assert "NO DRIVING" in text
    else:
        assert phrases.INSURANCE[insurance] in text
    assert "1975" not in text  # the factory's date of birth


def test_mission_and_missing_registrants() -> None:
    mission_car = make_vehicle(owner_person_id=None, owner_mission_id="M-VAL")
    snapshot = FakeSnapshot(missions=[make_mission()], vehicles=[mission_car])
    match = plate_matches_json(snapshot, [PlateMatch("exact", 1.0, mission_car)], CTX)[0]
    text = reply_for("plate", mission_car.plate, _body(match, mission_car.plate), PHONE)
    assert "VALDORIA, mission car, check driver ID." in text

    orphan = make_vehicle(owner_person_id="P-NOBODY")
    match = plate_matches_json(
        FakeSnapshot(vehicles=[orphan]), [PlateMatch("exact", 1.0, orphan)], CTX
    )[0]
    text = reply_for("plate", orphan.plate, _body(match, orphan.plate), PHONE)
    assert "Registrant not on record, check driver ID." in text


@pytest.mark.parametrize("level", sorted(LEVEL_CASES))
def test_card_and_licence_answers(level: str) -> None:
    person = make_person(**LEVEL_CASES[level])
    licence = make_license(status="revoked")
    snapshot = FakeSnapshot(missions=[make_mission()], persons=[person], licenses=[licence])
    card = credential_matches_json(snapshot, [NumberMatch("exact", 1.0, person)], CTX)[0]
    text = reply_for("credential", "DA123456", _body(card, "DA123456"), PHONE)
    assert text.startswith("ID DA123456: OSTRANDER M.")
    assert phrases.LEVEL[level] in text
    assert phrases.CREDENTIAL["valid"] in text

    found = license_matches_json(snapshot, [NumberMatch("exact", 1.0, licence)], CTX)[0]
    text = reply_for("license", licence.license_number, _body(found, "OFM100200"), PHONE)
    assert text.startswith("DL OFM100200: OSTRANDER M.")
    assert phrases.LICENCE["revoked"] in text


def test_a_look_alike_number_is_offered_not_answered() -> None:
    # Only a confusable card matched: the reply names it for the officer to check and re-send,
    # and shows no immunity level, which would be the look-alike holder's, not the bearer's.
    person = make_person()
    snapshot = FakeSnapshot(missions=[make_mission()], persons=[person])
    sub = Substitution(position=0, typed="0", matched="D")
    card = credential_matches_json(
        snapshot, [NumberMatch("confusable", 0.85, person, (sub,))], CTX
    )[0]
    text = reply_for("credential", "0A123456", _body(card, "0A123456"), PHONE)
    assert text.startswith("1 possible ID card: DA123456. Check the ID card, re-send one as ID")
    assert all(level not in text for level in phrases.LEVEL.values())
    assert len(text) <= 160


def test_licence_whose_holder_is_not_on_record() -> None:
    licence = make_license(person_id="P-NOBODY", status="suspended")
    found = license_matches_json(
        FakeSnapshot(licenses=[licence]), [NumberMatch("exact", 1.0, licence)], CTX
    )[0]
    assert found["person"] is None
    text = reply_for("license", licence.license_number, _body(found, "OFM100200"), PHONE)
    assert text.startswith("DL OFM100200: Lic SUSPENDED-NO DRIVING. Holder not on record")
    assert fits_one_segment(text)


@pytest.mark.parametrize(("points", "shown"), [(11, "Lic OK."), (12, "SUSPENSION ALERT")])
def test_a_valid_licence_at_the_suspension_threshold_says_so(points: int, shown: str) -> None:
    person = make_person()
    licence = make_license(status="valid", points=points)
    snapshot = FakeSnapshot(missions=[make_mission()], persons=[person], licenses=[licence])
    found = license_matches_json(snapshot, [NumberMatch("exact", 1.0, licence)], CTX)[0]
    text = reply_for("license", licence.license_number, _body(found, "OFM100200"), PHONE)
    assert shown in text
    assert fits_one_segment(text)
    orphan = make_license(person_id="P-NOBODY", status="valid", points=points)
    found = license_matches_json(
        FakeSnapshot(licenses=[orphan]), [NumberMatch("exact", 1.0, orphan)], CTX
    )[0]
    text = reply_for("license", orphan.license_number, _body(found, "OFM100200"), PHONE)
    assert shown in text
    assert fits_one_segment(text)
