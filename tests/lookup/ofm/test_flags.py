"""OFM's review flags: repeated incident reports by person and mission within 365 days, and
vehicles lapsed more than 30 days; analysts only, audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from lookup.audit.records import records
from lookup.store.base import AuditFilter
from tests.compliance_data import AS_OF
from tests.factories import CONSUL_ID, DIPLOMAT_LICENSE, MISSION_ID, SECOND_MISSION_ID
from tests.lookup.conftest import AgencyKeys, bearer
from tests.lookup.ofm.conftest import Ofm

URL = "/api/v1/ofm/flags"


def report(client: FlaskClient, key: str, days_before: int, subject: dict[str, str]) -> None:
    day = AS_OF - timedelta(days=days_before)
    body: dict[str, Any] = {
        "occurred_at": f"{day.isoformat()}T12:00:00-04:00",
        "kind": "moving_violation",
        "subject": subject,
        "reporting_officer": {"name": "Sgt. Dana Ruiz"},
    }
    response = client.post("/api/v1/incidents", json=body, headers=bearer(key))
    assert response.status_code == 201, response.get_json()


def test_flags_as_of_a_day(app: Flask, client: FlaskClient, ofm: Ofm, metro: AgencyKeys) -> None:
    diplomat = {"license_number": DIPLOMAT_LICENSE}
    report(client, metro.officer_key, 0, diplomat)  # on the day itself
    report(client, metro.officer_key, 364, diplomat)  # the first day of the 365
    report(client, metro.officer_key, 365, diplomat)  # one day too early
    report(client, metro.officer_key, -3, diplomat)  # after the chosen day
    report(client, metro.officer_key, 20, {"person_id": CONSUL_ID})
    report(client, metro.officer_key, 30, {"plate": "CMP102"})  # the consulate's own car
    response = client.get(f"{URL}?as_of={AS_OF}", headers=bearer(ofm.analyst_key))
    assert response.status_code == 200
    body = response.get_json()
    persons = [(p["person_id"], p["incidents"]) for p in body["persons"]]
    assert persons == [("P-0001", 2)]  # the consul has one; a plate names no person
    assert body["persons"][0]["mission_id"] == MISSION_ID
    missions = [(m["mission_id"], m["incidents"]) for m in body["missions"]]
    assert missions == [(SECOND_MISSION_ID, 2), (MISSION_ID, 2)]  # most first, then by id
    # CMP012 lapsed 45 days; CMP003 and CMP102 one day; CMP004's cancellation day is unknown.
    assert body["vehicles"] == [
        {
            "plate": "CMP012",
            "mission_id": MISSION_ID,
            "policy_expiry": (AS_OF - timedelta(days=45)).isoformat(),
            "days_lapsed": 45,
        }
    ]
    with app.app_context():
        (entry,) = [
            r for r in records(AuditFilter(agency_id=ofm.agency.id)) if r.action == "ofm_flags"
        ]
    assert entry.reference == body["reference"]
    assert entry.outcome == "match"


def test_thirty_days_lapsed_is_not_yet_flagged(client: FlaskClient, ofm: Ofm) -> None:
    on_day_30 = AS_OF - timedelta(days=15)  # CMP012 has lapsed 30 days then
    body = client.get(f"{URL}?as_of={on_day_30}", headers=bearer(ofm.analyst_key)).get_json()
    assert body["vehicles"] == []
    on_day_31 = AS_OF - timedelta(days=14)
    body = client.get(f"{URL}?as_of={on_day_31}", headers=bearer(ofm.analyst_key)).get_json()
    assert [(v["plate"], v["days_lapsed"]) for v in body["vehicles"]] == [("CMP012", 31)]


def test_flags_are_for_analysts_only(
    app: Flask, client: FlaskClient, ofm: Ofm, metro: AgencyKeys
) -> None:
    assert client.get(URL).status_code == 401
    for key in (metro.officer_key, metro.supervisor_key, ofm.officer_key):
        assert client.get(URL, headers=bearer(key)).status_code == 403
    with app.app_context():
        denied = [r.action for r in records(AuditFilter(agency_id=metro.agency.id))]
    assert denied == ["ofm_flags", "ofm_flags"]


def test_a_bad_day_is_named(client: FlaskClient, ofm: Ofm) -> None:
    response = client.get(f"{URL}?as_of=2026-02-30", headers=bearer(ofm.analyst_key))
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "as_of"
