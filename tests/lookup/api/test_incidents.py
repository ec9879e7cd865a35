"""The incident routes: filing, reading, listing, CSV, assessment; agency isolation both ways,
hostile input (400 naming the field, nothing stored), an audit record for every read and change."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lookup.audit.records import records
from lookup.extensions import state_store
from lookup.identity import accounts
from lookup.store.base import AuditFilter
from lookup.store.incidents import IncidentFilter
from tests.factories import (
    CONSUL_ID,
    DIPLOMAT_CREDENTIAL,
    DIPLOMAT_ID,
    DIPLOMAT_LICENSE,
    DIPLOMAT_PLATE,
)
from tests.lookup.conftest import AgencyKeys, bearer

URL = "/api/v1/incidents"


@dataclass(frozen=True)
class Ofm:
    agency: accounts.Agency
    analyst_key: str


@pytest.fixture
def ofm(app: Flask) -> Ofm:
    with app.app_context():
        agency = accounts.create_agency(state_store(), "Office of Foreign Missions", kind="ofm")
        _key, secret = accounts.create_api_key(state_store(), agency, role="analyst")
    return Ofm(agency, secret)


def lookup_reference(client: FlaskClient, key: str) -> str:
    response = client.get(f"/api/v1/licenses/{DIPLOMAT_LICENSE}?reason=crash", headers=bearer(key))
    assert response.status_code == 200
    reference: str = response.get_json()["reference"]
    return reference


def report_body(reference: str | None = None, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "occurred_at": "2026-11-20T08:15:00-05:00",
        "kind": "moving_violation",
        "subject": {"license_number": DIPLOMAT_LICENSE},
        "citation_number": "VA-55123",
        "violation": "Speeding 25 over",
        "narrative": "Stopped on I-395; driver claimed immunity.",
        "immunity_claimed": True,
        "location": {"latitude": 38.86, "longitude": -77.05, "description": "I-395 N"},
        "reporting_officer": {"name": "Sgt. Dana Ruiz", "badge": "4471"},
    }
    if reference is not None:
        body["lookup_reference"] = reference
    return body | changes


def stored_count(app: Flask) -> int:
    with app.app_context():
        return state_store().incidents.page(IncidentFilter(), offset=0, limit=1)[1]


def file(client: FlaskClient, key: str, body: Any) -> Any:
    return client.post(URL, json=body, headers=bearer(key))


def test_filing_resolves_and_snapshots_the_subject(
    app: Flask, client: FlaskClient, metro: AgencyKeys
) -> None:
    reference = lookup_reference(client, metro.officer_key)
    response = file(client, metro.officer_key, report_body(reference))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "submitted"
    assert body["incident_id"].startswith("IN-")
    assert response.headers["Location"].endswith(f"/api/v1/incidents/{body['incident_id']}")
    assert body["report_to"] == "ofm"
    assert body["lookup_reference"] == reference
    subject = body["subject"]
    assert subject["person_id"] == DIPLOMAT_ID
    assert subject["name"]
    assert subject["mission"]["country"] == "Valdoria"
    assert (subject["category"], subject["immunity_level"]) == ("diplomatic_agent", "full")
    assert body["reporting_officer"] == {
        "name": "Sgt. Dana Ruiz",
        "badge": "4471",
        "officer_id": None,
    }
    assert body["reference"].startswith("DC-")
    with app.app_context():
        [entry] = list(records(AuditFilter(reference=body["reference"])))
    assert (entry.action, entry.outcome, entry.query) == (
        "incident_file",
        "match",
        body["incident_id"],
    )


def test_identifiers_of_different_people_are_refused(
    client: FlaskClient, metro: AgencyKeys
) -> None:
    subject = {"credential_number": DIPLOMAT_CREDENTIAL, "person_id": CONSUL_ID}
    response = file(client, metro.officer_key, report_body(subject=subject))
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "subject.credential_number"


def test_a_plate_subject_names_the_vehicle_and_registrant(
    client: FlaskClient, metro: AgencyKeys
) -> None:
    response = file(client, metro.officer_key, report_body(subject={"plate": "dvl 1234"}))
    assert response.status_code == 201
    subject = response.get_json()["subject"]
    assert subject["person_id"] is None  # a plate names the registrant, not the driver
    assert subject["vehicle"]["plate"] == DIPLOMAT_PLATE
    assert subject["registrant"]["person_id"] == DIPLOMAT_ID


def test_isolation_between_agencies_and_analysts(
    client: FlaskClient, metro: AgencyKeys, county: AgencyKeys, ofm: Ofm
) -> None:
    mine = file(client, metro.officer_key, report_body()).get_json()["incident_id"]
    theirs = file(client, county.officer_key, report_body(kind="crash")).get_json()["incident_id"]
    assert client.get(f"{URL}/{mine}", headers=bearer(metro.officer_key)).status_code == 200
    refused = client.get(f"{URL}/{mine}", headers=bearer(county.supervisor_key))
    assert refused.status_code == 404
    assert "Ruiz" not in refused.get_data(as_text=True)
    listed = client.get(URL, headers=bearer(metro.supervisor_key)).get_json()
    assert [i["incident_id"] for i in listed["incidents"]] == [mine]
    assert listed["total"] == 1
    # No parameter widens a police agency's view.
    widened = client.get(f"{URL}?agency_id={county.agency.id}", headers=bearer(metro.officer_key))
    assert [i["incident_id"] for i in widened.get_json()["incidents"]] == [mine]
    every = client.get(URL, headers=bearer(ofm.analyst_key)).get_json()
    assert {i["incident_id"] for i in every["incidents"]} == {mine, theirs}
    assert client.get(f"{URL}/{theirs}", headers=bearer(ofm.analyst_key)).status_code == 200
    crashes = client.get(f"{URL}?kind=crash&country=VALDORIA", headers=bearer(ofm.analyst_key))
    assert [i["incident_id"] for i in crashes.get_json()["incidents"]] == [theirs]


def test_analysts_file_nothing_and_read_no_audit_trail(
    app: Flask, client: FlaskClient, metro: AgencyKeys, ofm: Ofm
) -> None:
    response = file(client, ofm.analyst_key, report_body())
    assert response.status_code == 403
    assert stored_count(app) == 0
    lookup_reference(client, metro.officer_key)
    assert client.get("/api/v1/audit", headers=bearer(ofm.analyst_key)).status_code == 403


def test_another_agencys_lookup_reference_is_refused_and_nothing_stored(
    app: Flask, client: FlaskClient, metro: AgencyKeys, county: AgencyKeys
) -> None:
    theirs = lookup_reference(client, county.officer_key)
    response = file(client, metro.officer_key, report_body(theirs))
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "lookup_reference"
    unknown = file(client, metro.officer_key, report_body("DC-00000-00000"))
    assert unknown.get_json()["error"] == response.get_json()["error"]  # no existence oracle
    assert stored_count(app) == 0


HOSTILE: list[tuple[str, dict[str, Any], str]] = [
    ("oversize narrative", {"narrative": "x" * 4001}, "narrative"),
    ("oversize violation", {"violation": "x" * 201}, "violation"),
    ("latitude out of range", {"location": {"latitude": 91, "longitude": 0}}, "location.latitude"),
    ("longitude as text", {"location": {"latitude": 1, "longitude": "W"}}, "location.longitude"),
    ("latitude alone", {"location": {"latitude": 1}}, "location"),
    ("boolean as text", {"immunity_claimed": "yes"}, "immunity_claimed"),
    ("unknown kind", {"kind": "speeding"}, "kind"),
    ("kind as number", {"kind": 3}, "kind"),
    ("empty subject", {"subject": {}}, "subject"),
    ("subject as text", {"subject": "DVL1234"}, "subject"),
    ("unknown person", {"subject": {"person_id": "P-9999"}}, "subject.person_id"),
    ("unknown plate", {"subject": {"plate": "ZZZ999"}}, "subject.plate"),
    ("plate of symbols", {"subject": {"plate": "!!!"}}, "subject.plate"),
    ("card of symbols", {"subject": {"credential_number": "!"}}, "subject.credential_number"),
    ("licence of symbols", {"subject": {"license_number": "--"}}, "subject.license_number"),
    ("time without offset", {"occurred_at": "2026-11-20T08:15:00"}, "occurred_at"),
    ("time in the future", {"occurred_at": "2099-01-01T00:00:00Z"}, "occurred_at"),
    ("unknown field", {"agency_id": "x"}, "agency_id"),
    ("control character", {"narrative": "a\x00b"}, "narrative"),
    ("reference too long", {"lookup_reference": "D" * 33}, "lookup_reference"),
]


@pytest.mark.parametrize(
    ("changes", "field"), [(c, f) for _n, c, f in HOSTILE], ids=[n for n, *_ in HOSTILE]
)
def test_hostile_fields_are_400_naming_the_field_and_store_nothing(
    app: Flask, client: FlaskClient, metro: AgencyKeys, changes: dict[str, Any], field: str
) -> None:
    response = file(client, metro.officer_key, report_body(**changes))
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["field"] == field
    assert stored_count(app) == 0


def test_an_agency_key_must_name_the_reporting_officer(
    app: Flask, client: FlaskClient, metro: AgencyKeys
) -> None:
    body = report_body()
    del body["reporting_officer"]
    response = file(client, metro.officer_key, body)
    assert response.get_json()["error"]["field"] == "reporting_officer"
    for raw in (b"not json", b"[1, 2]", b""):
        refused = client.post(URL, data=raw, headers=bearer(metro.officer_key))
        assert refused.status_code == 400
        assert refused.get_json()["error"]["field"] == "body"
    assert stored_count(app) == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = list(report_body("DC-00000-00000"))


SUBJECT_KEYS = ("person_id", "credential_number", "license_number", "plate")


@given(
    field=st.sampled_from(FIELDS),
    value=json_values
    | st.dictionaries(st.sampled_from(SUBJECT_KEYS), st.text(max_size=20), min_size=1),
)
@settings(max_examples=60, suppress_health_check=list(HealthCheck))
def test_any_value_in_any_field_is_201_or_400_and_a_400_stores_nothing(
    app: Flask, client: FlaskClient, metro: AgencyKeys, field: str, value: Any
) -> None:
    before = stored_count(app)
    body = report_body() | {field: value}
    response = file(client, metro.officer_key, body)
    assert response.status_code in (201, 400), response.get_data(as_text=True)
    if response.status_code == 400:
        assert response.get_json()["error"]["field"].split(".")[0] in (*FIELDS, "body")
        assert stored_count(app) == before
    else:
        assert stored_count(app) == before + 1


def test_assessment_is_for_analysts_and_validated(
    app: Flask, client: FlaskClient, metro: AgencyKeys, ofm: Ofm
) -> None:
    incident_id = file(client, metro.officer_key, report_body()).get_json()["incident_id"]
    url = f"{URL}/{incident_id}/assessment"
    good = {"decision": "points_assessed", "points": 5, "note": "Second offence"}
    assert client.post(url, json=good, headers=bearer(metro.supervisor_key)).status_code == 403
    for body, field in (
        ({"decision": "points_assessed"}, "points"),
        ({"decision": "points_assessed", "points": 13}, "points"),
        ({"decision": "points_assessed", "points": "5"}, "points"),
        ({"decision": "no_action", "points": 2}, "points"),
        ({"decision": "fine"}, "decision"),
    ):
        response = client.post(url, json=body, headers=bearer(ofm.analyst_key))
        assert response.status_code == 400, body
        assert response.get_json()["error"]["field"] in (field, "body"), body
    assert (
        client.get(f"{URL}/{incident_id}", headers=bearer(metro.officer_key)).get_json()["status"]
        == "submitted"
    )
    missing = client.post(
        f"{URL}/IN-00000-00000/assessment", json=good, headers=bearer(ofm.analyst_key)
    )
    assert missing.status_code == 404
    done = client.post(url, json=good, headers=bearer(ofm.analyst_key))
    assert done.status_code == 200
    assert done.get_json()["status"] == "assessed"
    assert done.get_json()["assessment"]["note"] == "Second offence"
    seen = client.get(f"{URL}/{incident_id}", headers=bearer(metro.officer_key)).get_json()
    assert (seen["status"], seen["assessment"]["points"]) == ("assessed", 5)
    assert seen["assessment"]["note"] is None  # OFM's note stays with OFM


def test_points_need_a_person(client: FlaskClient, metro: AgencyKeys, ofm: Ofm) -> None:
    created = file(client, metro.officer_key, report_body(subject={"plate": DIPLOMAT_PLATE}))
    url = f"{URL}/{created.get_json()['incident_id']}/assessment"
    response = client.post(
        url, json={"decision": "points_assessed", "points": 3}, headers=bearer(ofm.analyst_key)
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "decision"
    other = client.post(url, json={"decision": "referred"}, headers=bearer(ofm.analyst_key))
    assert other.status_code == 200


def test_csv_export_defuses_formulas_and_keeps_agency_scope(
    client: FlaskClient, metro: AgencyKeys, county: AgencyKeys, ofm: Ofm
) -> None:
    file(client, metro.officer_key, report_body(narrative='=HYPERLINK("http://x","y")'))
    file(client, county.officer_key, report_body(violation="+1 lane"))
    analyst = client.get(f"{URL}?format=csv", headers=bearer(ofm.analyst_key))
    assert analyst.status_code == 200
    assert analyst.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(analyst.get_data(as_text=True))))
    assert len(rows) == 2
    assert {r["narrative"] for r in rows} >= {'\'=HYPERLINK("http://x","y")'}
    assert {r["violation"] for r in rows} >= {"'+1 lane"}
    police = client.get(f"{URL}?format=csv", headers=bearer(metro.officer_key))
    assert len(list(csv.DictReader(io.StringIO(police.get_data(as_text=True))))) == 1
    assert client.get(f"{URL}?format=xml", headers=bearer(metro.officer_key)).status_code == 400


def test_every_read_and_change_is_audited(
    app: Flask, client: FlaskClient, metro: AgencyKeys, county: AgencyKeys, ofm: Ofm
) -> None:
    incident_id = file(client, metro.officer_key, report_body()).get_json()["incident_id"]
    client.get(f"{URL}/{incident_id}", headers=bearer(metro.officer_key))
    client.get(f"{URL}/{incident_id}", headers=bearer(county.officer_key))
    client.get(URL, headers=bearer(ofm.analyst_key))
    client.get(f"{URL}?format=csv", headers=bearer(ofm.analyst_key)).get_data()
    client.post(
        f"{URL}/{incident_id}/assessment",
        json={"decision": "no_action"},
        headers=bearer(ofm.analyst_key),
    )
    with app.app_context():
        found = sorted(
            (e.agency_id == metro.agency.id, e.action, e.outcome)
            for e in records(AuditFilter())
            if e.action.startswith("incident_")
        )
        county_denied = [
            e
            for e in records(AuditFilter(agency_id=county.agency.id))
            if e.action == "incident_read"
        ]
    assert [e.outcome for e in county_denied] == ["denied"]
    assert (True, "incident_file", "match") in found
    assert (True, "incident_read", "match") in found
    assert (False, "incident_list", "match") in found
    assert (False, "incident_export", "match") in found
    assert (False, "incident_assess", "match") in found


def test_the_openapi_document_describes_the_incident_routes(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    assert "post" in paths["/api/v1/incidents"]
    assert "get" in paths["/api/v1/incidents"]
    assert "get" in paths["/api/v1/incidents/{incident_id}"]
    assert "post" in paths["/api/v1/incidents/{incident_id}/assessment"]


def test_times_that_cannot_be_placed_are_400(client: FlaskClient, metro: AgencyKeys) -> None:
    for value in ("0001-01-01T00:00:00+05:00", "1999-12-31T23:00:00Z"):
        response = file(client, metro.officer_key, report_body(occurred_at=value))
        assert response.get_json()["error"]["field"] == "occurred_at"
        listed = client.get(f"{URL}?since={quote(value)}", headers=bearer(metro.officer_key))
        assert listed.status_code == 400
        assert listed.get_json()["error"]["field"] == "since"
