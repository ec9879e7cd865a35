"""The API also accepts an officer's web session: the officer is the audited actor and has a
lookup allowance of their own."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient

from lookup.audit.records import records
from lookup.extensions import state_store
from lookup.identity import accounts, sessions
from lookup.store.base import AuditFilter
from tests.lookup.conftest import AppFactory

PLATE_URL = "/api/v1/plates/DVL1234?reason=traffic_stop"


def signed_in(app: Flask, role: accounts.OfficerRole) -> tuple[FlaskClient, accounts.Officer]:
    """A browser holding a live session of a new officer (what the web login leaves behind)."""
    with app.app_context():
        agency = accounts.find_agency(state_store(), "Metro Police") or accounts.create_agency(
            state_store(), "Metro Police"
        )
        officer = accounts.create_officer(
            state_store(),
            agency,
            username=f"{role}.one",
            display_name="",
            password="a long passphrase",
            role=role,
        )
        cookie, _ = sessions.create_session(
            state_store(),
            officer_id=officer.id,
            agency_id=agency.id,
            agency_name=agency.name,
            role=role,
            stage="active",
            now=datetime.now(UTC),
        )
    client = app.test_client()
    client.set_cookie(sessions.COOKIE_NAME, cookie)
    return client, officer


def test_officer_session_looks_up_and_is_audited_as_the_officer(app: Flask) -> None:
    client, officer = signed_in(app, "officer")
    response = client.get(PLATE_URL)
    assert response.status_code == 200
    with app.app_context():
        [entry] = list(records(AuditFilter(agency_id=officer.agency_id)))
    assert entry.actor == f"officer:{officer.id}"
    assert entry.reference == response.get_json()["reference"]
    assert client.get("/api/v1/audit").status_code == 403


def test_supervisor_session_reads_the_audit_trail(app: Flask) -> None:
    client, _ = signed_in(app, "supervisor")
    client.get(PLATE_URL)
    response = client.get("/api/v1/audit")
    assert response.status_code == 200
    assert [entry["action"] for entry in response.get_json()["records"]] == ["plate"]


def test_a_disabled_officer_session_no_longer_opens_the_api(app: Flask) -> None:
    client, officer = signed_in(app, "officer")
    with app.app_context():
        # Only the flag: the session check itself must refuse (officer_admin also ends sessions).
        accounts.update_officer(state_store(), officer, {"disabled": True})
    assert client.get(PLATE_URL).status_code == 401


def test_each_officer_has_an_allowance(make_app: AppFactory) -> None:
    app = make_app(ratelimit_lookups="2/minute")
    first, _ = signed_in(app, "officer")
    second, _ = signed_in(app, "supervisor")
    assert [first.get(PLATE_URL).status_code for _ in range(3)] == [200, 200, 429]
    assert second.get(PLATE_URL).status_code == 200
