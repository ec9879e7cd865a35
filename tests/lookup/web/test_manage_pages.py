"""Supervisor and admin pages: the agency's own audit trail (filters, CSV), never another
agency's; unlock, disable and enable; admin management of agencies, keys and officers."""

from __future__ import annotations

import csv
import dataclasses
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lookup.audit.records import records
from lookup.extensions import state_store
from lookup.identity import accounts
from lookup.store.base import AuditFilter
from tests.factories import DIPLOMAT_PLATE
from tests.lookup.store.test_audit_record_shape import BARE, CSV, ENTRY
from tests.lookup.web.conftest import Clock, OfficerLogin, csrf_of, make_officer, sign_in
from tests.lookup.web.test_lookup_pages import lookup, text_of


def signed_in(app: Flask, who: OfficerLogin, clock: Clock) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, who, clock).status_code == 303
    return client


@pytest.fixture
def metro_officer(web_app: Flask) -> OfficerLogin:
    return make_officer(web_app, "ada")


@pytest.fixture
def metro_boss(web_app: Flask) -> OfficerLogin:
    return make_officer(web_app, "boss", role="supervisor")


@pytest.fixture
def county_officer(web_app: Flask) -> OfficerLogin:
    return make_officer(web_app, "cy", agency="County Sheriff")


def test_supervisor_sees_own_agency_audit_only(
    web_app: Flask,
    clock: Clock,
    metro_officer: OfficerLogin,
    metro_boss: OfficerLogin,
    county_officer: OfficerLogin,
) -> None:
    lookup(signed_in(web_app, metro_officer, clock), DIPLOMAT_PLATE)
    lookup(signed_in(web_app, county_officer, clock), "XQ9999")
    boss = signed_in(web_app, metro_boss, clock)
    page = boss.get("/supervisor/audit")
    assert page.status_code == 200
    words = text_of(page.get_data(as_text=True))
    assert DIPLOMAT_PLATE in words
    assert "XQ9999" not in words
    assert "cy" not in words.split()
    assert boss.get(f"/supervisor/audit?agency={county_officer.agency_id}").status_code == 403
    assert boss.get(f"/supervisor/audit?agency={metro_boss.agency_id}").status_code == 200


def test_audit_filters_and_csv_export(
    web_app: Flask, clock: Clock, metro_officer: OfficerLogin, metro_boss: OfficerLogin
) -> None:
    client = signed_in(web_app, metro_officer, clock)
    lookup(client, DIPLOMAT_PLATE)
    lookup(client, "=HYPERLINK(1)", kind="person")
    boss = signed_in(web_app, metro_boss, clock)
    no_match = text_of(boss.get("/supervisor/audit?outcome=no_match").get_data(as_text=True))
    assert "=HYPERLINK(1)" in no_match
    assert DIPLOMAT_PLATE not in no_match
    exported = boss.get("/supervisor/audit?format=csv&channel=web")
    assert exported.status_code == 200
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert {row["agency_id"] for row in rows} == {metro_officer.agency_id}
    queries = {row["query"] for row in rows}
    assert DIPLOMAT_PLATE in queries
    assert "'=HYPERLINK(1)" in queries  # a formula is neutralised for spreadsheets
    assert {"ada", "boss"} <= queries  # the sign-ins
    bad = boss.get("/supervisor/audit?since=yesterday")
    assert bad.status_code == 400
    assert "Since: must be a date" in text_of(bad.get_data(as_text=True))


def test_officers_cannot_open_supervisor_pages(
    web_app: Flask, clock: Clock, metro_officer: OfficerLogin
) -> None:
    client = signed_in(web_app, metro_officer, clock)
    assert client.get("/supervisor/audit").status_code == 403
    assert client.get("/supervisor/officers").status_code == 403
    assert client.get("/admin/agencies").status_code == 403


def test_disable_ends_the_officers_session_and_blocks_sign_in(
    web_app: Flask, clock: Clock, metro_officer: OfficerLogin, metro_boss: OfficerLogin
) -> None:
    officer = signed_in(web_app, metro_officer, clock)
    boss = signed_in(web_app, metro_boss, clock)
    page = boss.get("/supervisor/officers").get_data(as_text=True)
    disabled = boss.post(
        f"/supervisor/officers/{metro_officer.officer_id}/disable",
        data={"csrf_token": csrf_of(page)},
    )
    assert disabled.status_code == 303
    assert officer.get("/lookup").status_code == 302
    clock.advance(seconds=30)
    assert sign_in(web_app.test_client(), metro_officer, clock).status_code == 401
    boss.post(
        f"/supervisor/officers/{metro_officer.officer_id}/enable",
        data={"csrf_token": csrf_of(page)},
    )
    assert sign_in(web_app.test_client(), metro_officer, clock).status_code == 303


def test_supervisor_cannot_touch_another_agencys_officer(
    web_app: Flask, clock: Clock, metro_boss: OfficerLogin, county_officer: OfficerLogin
) -> None:
    boss = signed_in(web_app, metro_boss, clock)
    token = csrf_of(boss.get("/supervisor/officers").get_data(as_text=True))
    for action in ("unlock", "disable", "enable"):
        response = boss.post(
            f"/supervisor/officers/{county_officer.officer_id}/{action}",
            data={"csrf_token": token},
        )
        assert response.status_code == 403
    with web_app.app_context():
        officer = accounts.get_officer(state_store(), county_officer.officer_id)
        assert officer is not None
        assert not officer.disabled


def test_admin_manages_agencies_keys_and_officers(
    web_app: Flask, clock: Clock, county_officer: OfficerLogin
) -> None:
    admin = signed_in(web_app, make_officer(web_app, "root", role="admin"), clock)
    page = admin.get("/admin/agencies").get_data(as_text=True)
    token = csrf_of(page)
    created = admin.post("/admin/agencies", data={"csrf_token": token, "name": "Harbor Police"})
    assert "Harbor Police" in text_of(created.get_data(as_text=True))
    with web_app.app_context():
        harbor = accounts.find_agency(state_store(), "Harbor Police")
    assert harbor is not None
    key_page = admin.post(
        f"/admin/agencies/{harbor.id}/keys",
        data={"csrf_token": token, "role": "officer", "label": "CAD"},
    ).get_data(as_text=True)
    assert "shown once" in key_page
    new_officer = admin.post(
        "/admin/officers",
        data={"csrf_token": token, "agency_id": harbor.id, "username": "hp1", "role": "officer"},
    )
    assert "Officer hp1 created" in text_of(new_officer.get_data(as_text=True))
    everyone = text_of(admin.get("/supervisor/officers").get_data(as_text=True))
    assert "(cy)" in everyone
    assert "(hp1)" in everyone
    audit = admin.get(f"/supervisor/audit?agency={county_officer.agency_id}")
    assert audit.status_code == 200
    with web_app.app_context():
        [key] = accounts.list_api_keys(state_store(), harbor)
    revoked = admin.post(f"/admin/keys/{key.key_id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303
    # One audit record per administrative action, naming the admin who acted.
    with web_app.app_context():
        root = accounts.find_officer(state_store(), "root")
        assert root is not None
        acts = [e for e in records(AuditFilter(actor=f"officer:{root.id}")) if e.action != "login"][
            ::-1
        ]
    assert [(e.channel, e.action, e.query) for e in acts] == [
        ("web", "agency_create", "Harbor Police"),
        ("web", "apikey_create", key.key_id),
        ("web", "officer_create", "hp1"),
        ("web", "apikey_revoke", key.key_id),
    ]
    assert {e.agency_id for e in acts} == {harbor.id}


def test_supervisor_actions_on_officers_are_audited(
    web_app: Flask, clock: Clock, metro_officer: OfficerLogin, metro_boss: OfficerLogin
) -> None:
    boss = signed_in(web_app, metro_boss, clock)
    token = csrf_of(boss.get("/supervisor/officers").get_data(as_text=True))
    for action in ("disable", "enable", "unlock", "reset-authenticator"):
        response = boss.post(
            f"/supervisor/officers/{metro_officer.officer_id}/{action}",
            data={"csrf_token": token},
        )
        assert response.status_code in (200, 303), action
    with web_app.app_context():
        acts = [
            e
            for e in records(AuditFilter(actor=f"officer:{metro_boss.officer_id}"))
            if e.action != "login"
        ][::-1]
    assert [(e.channel, e.action, e.query) for e in acts] == [
        ("web", "officer_disable", "ada"),
        ("web", "officer_enable", "ada"),
        ("web", "officer_unlock", "ada"),
        ("web", "officer_reset_authenticator", "ada"),
    ]
    # The trail page filters by channel, `cli` (administrative commands) included.
    assert boss.get("/supervisor/audit?channel=cli").status_code == 200
    page = text_of(boss.get("/supervisor/audit?channel=web").get_data(as_text=True))
    assert "officer_disable" in page


def test_new_authenticator_makes_the_officer_enrol_again(
    web_app: Flask, clock: Clock, metro_officer: OfficerLogin, metro_boss: OfficerLogin
) -> None:
    officer = signed_in(web_app, metro_officer, clock)
    boss = signed_in(web_app, metro_boss, clock)
    token = csrf_of(boss.get("/supervisor/officers").get_data(as_text=True))
    reset = boss.post(
        f"/supervisor/officers/{metro_officer.officer_id}/reset-authenticator",
        data={"csrf_token": token},
    )
    assert reset.status_code == 200
    shown = re.search(
        r"Enrolment code, shown once[^<]*<span class=\"secret\">([0-9 ]+)<",
        reset.get_data(as_text=True),
    )
    assert shown is not None
    assert officer.get("/lookup").status_code == 302  # the session ended
    clock.advance(seconds=30)
    # The password alone no longer signs in, nor shows the new secret.
    assert sign_in(web_app.test_client(), metro_officer, clock).status_code == 401
    # With the new enrolment code it leads to enrolment of a new secret.
    response = sign_in(web_app.test_client(), metro_officer, clock, code=shown.group(1))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/login/enrol")
    with web_app.app_context():
        fresh = accounts.get_officer(state_store(), metro_officer.officer_id)
    assert fresh is not None
    assert fresh.totp_secret != metro_officer.totp_secret


def test_the_officers_page_shows_an_sms_opt_out(
    web_app: Flask, clock: Clock, metro_officer: OfficerLogin, metro_boss: OfficerLogin
) -> None:
    from lookup.extensions import state_store
    from lookup.identity import phones

    with web_app.app_context():
        store = state_store()
        enrolment = phones.enrol(
            store,
            phones.app_phone_hash("+15715550199"),
            officer_id=metro_officer.officer_id,
            agency_id=metro_officer.agency_id,
        )
    boss = signed_in(web_app, metro_boss, clock)
    before = text_of(boss.get("/supervisor/officers").get_data(as_text=True))
    assert "SMS: 1 phone enrolled" in before
    assert "opted out" not in before
    with web_app.app_context():
        phones.set_opted_out(state_store(), enrolment, True)
    after = text_of(boss.get("/supervisor/officers").get_data(as_text=True))
    assert "SMS opted out (STOP)" in after
    assert "opted out (STOP): texts go unanswered until START" in after


def test_audit_csv_export_bytes_and_headers(
    web_app: Flask, clock: Clock, metro_boss: OfficerLogin
) -> None:
    """The supervisor's CSV download, byte for byte: the same cells as the CLI export."""
    with web_app.app_context():
        for entry in (ENTRY, BARE):
            state_store().append_audit(
                dataclasses.replace(entry, channel="qr", agency_id=metro_boss.agency_id)
            )
    boss = signed_in(web_app, metro_boss, clock)
    exported = boss.get("/supervisor/audit?format=csv&channel=qr")
    assert exported.status_code == 200
    assert exported.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert exported.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(
        r'attachment; filename="audit-\d{8}-\d{6}\.csv"', exported.headers["Content-Disposition"]
    )
    header, entry, bare = CSV.splitlines(keepends=True)
    entry = entry.replace(",agency-1,", f",{metro_boss.agency_id},").replace(",web,", ",qr,")
    bare = bare.replace(",,,,login,", f",{metro_boss.agency_id},,,qr,")
    assert exported.get_data(as_text=True) == header + bare + entry  # newest first
