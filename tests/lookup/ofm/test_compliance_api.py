"""The compliance routes: analysts only (401, 403 audited), the DESIGN.md fields, CSV with
defused cells, bad dates named, and one audit record per read."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lookup.audit.records import records
from lookup.store.base import AuditFilter
from tests.compliance_data import AS_OF, EXPECTED, EXPECTED_TO_FIX
from tests.factories import MISSION_ID, SECOND_MISSION_ID
from tests.lookup.conftest import AgencyKeys, bearer
from tests.lookup.ofm.conftest import Ofm

URL = "/api/v1/ofm/insurance-compliance"


def audit_actions(app: Flask, agency_id: str) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(r.action, r.outcome, r.query) for r in records(AuditFilter(agency_id=agency_id))]


def test_compliance_as_of_a_day(app: Flask, client: FlaskClient, ofm: Ofm) -> None:
    response = client.get(f"{URL}?as_of={AS_OF}", headers=bearer(ofm.analyst_key))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["as_of"] == AS_OF.isoformat()
    assert body["data_as_of"].endswith("Z")
    missions = {m["mission_id"]: m for m in body["missions"]}
    assert {k: m["by_status"] for k, m in missions.items()} == EXPECTED
    assert missions[MISSION_ID] | {"by_status": None} == {
        "mission_id": MISSION_ID,
        "name": missions[MISSION_ID]["name"],
        "country": missions[MISSION_ID]["country"],
        "mission_type": "embassy",
        "vehicles": 12,
        "by_status": None,
        "compliant_rate": 0.5,
    }
    assert body["totals"]["vehicles"] == 14
    assert body["totals"]["by_status"]["lapsed"] == 4
    assert body["totals"]["compliant_rate"] == round(7 / 14, 4)
    assert audit_actions(app, ofm.agency.id) == [
        ("ofm_compliance", "match", f"as_of={AS_OF}&format=json")
    ]
    with app.app_context():
        (entry,) = records(AuditFilter(agency_id=ofm.agency.id))
    assert entry.reference == body["reference"]


def test_as_of_defaults_to_today(client: FlaskClient, ofm: Ofm) -> None:
    body = client.get(URL, headers=bearer(ofm.analyst_key)).get_json()
    assert len(body["as_of"]) == 10
    assert body["totals"]["vehicles"] == 14


def test_compliance_as_csv(client: FlaskClient, ofm: Ofm) -> None:
    response = client.get(f"{URL}?as_of={AS_OF}&format=csv", headers=bearer(ofm.analyst_key))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["mission_id"] for r in rows] == [SECOND_MISSION_ID, MISSION_ID]
    assert rows[1]["lapsed"] == "3"
    assert rows[1]["compliant_rate"] == "0.5"
    assert rows[0]["mission_type"] == "consular_post"


def test_mission_vehicles_to_fix(app: Flask, client: FlaskClient, ofm: Ofm) -> None:
    response = client.get(f"{URL}/{MISSION_ID}?as_of={AS_OF}", headers=bearer(ofm.analyst_key))
    assert response.status_code == 200
    body = response.get_json()
    assert body["mission_id"] == MISSION_ID
    assert body["as_of"] == AS_OF.isoformat()
    found = {v["plate"]: (v["status"], v["days_lapsed"]) for v in body["vehicles"]}
    assert found == EXPECTED_TO_FIX
    first = body["vehicles"][0]
    assert first == {
        "plate": "CMP012",
        "status": "lapsed",
        "policy_expiry": "2026-05-01",
        "days_lapsed": 45,
    }
    assert audit_actions(app, ofm.agency.id) == [
        ("ofm_mission_compliance", "match", f"mission_id={MISSION_ID}&as_of={AS_OF}")
    ]


def test_unknown_mission_is_404_and_audited(app: Flask, client: FlaskClient, ofm: Ofm) -> None:
    response = client.get(f"{URL}/M-NONE?as_of={AS_OF}", headers=bearer(ofm.analyst_key))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert audit_actions(app, ofm.agency.id)[0][:2] == ("ofm_mission_compliance", "no_match")


@pytest.mark.parametrize(
    "query", ["as_of=2026-13-01", "as_of=15/06/2026", "as_of=1700000000", "as_of=2026-06-15T00:00"]
)
def test_a_bad_day_is_a_400_naming_as_of(client: FlaskClient, ofm: Ofm, query: str) -> None:
    for url in (f"{URL}?{query}", f"{URL}/{MISSION_ID}?{query}"):
        response = client.get(url, headers=bearer(ofm.analyst_key))
        assert response.status_code == 400, url
        assert response.get_json()["error"]["field"] == "as_of"


def test_a_bad_format_is_a_400(client: FlaskClient, ofm: Ofm) -> None:
    response = client.get(f"{URL}?format=xlsx", headers=bearer(ofm.analyst_key))
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "format"


def test_unauthenticated_is_401(client: FlaskClient) -> None:
    assert client.get(URL).status_code == 401
    assert client.get(f"{URL}/{MISSION_ID}").status_code == 401


def test_police_and_ofm_non_analysts_are_403_and_audited(
    app: Flask, client: FlaskClient, ofm: Ofm, metro: AgencyKeys
) -> None:
    for key in (metro.officer_key, metro.supervisor_key, ofm.officer_key):
        for url in (URL, f"{URL}/{MISSION_ID}"):
            response = client.get(url, headers=bearer(key))
            assert response.status_code == 403, (key, url)
            assert response.get_json()["error"]["code"] == "forbidden"
    denied = audit_actions(app, metro.agency.id)
    assert sorted(a for a, outcome, _ in denied if outcome == "denied") == sorted(
        ["ofm_compliance", "ofm_mission_compliance"] * 2
    )


def test_the_index_down_is_a_503_never_an_empty_answer(
    app: Flask, client: FlaskClient, ofm: Ofm, monkeypatch: pytest.MonkeyPatch
) -> None:
    from search_index.backend import BackendUnavailable
    from search_index.sqlite.backend import SQLiteSnapshot

    def down(self: SQLiteSnapshot) -> None:
        raise BackendUnavailable("down")

    monkeypatch.setattr(SQLiteSnapshot, "policy_groups", down)
    response = client.get(URL, headers=bearer(ofm.analyst_key))
    assert response.status_code == 503
    assert audit_actions(app, ofm.agency.id)[0][:2] == ("ofm_compliance", "error")
