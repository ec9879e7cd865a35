"""Sign-in with password and TOTP, enrolment, lockout, timeouts, sign-out, headers, CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from lookup import ConfigError
from lookup.audit.records import records
from lookup.extensions import state_store
from lookup.identity import accounts
from lookup.store.base import AuditFilter, AuditRecord
from tests.lookup.conftest import AppFactory
from tests.lookup.web.conftest import (
    GENEROUS_LIMITS,
    Clock,
    csrf_of,
    make_officer,
    sign_in,
    totp_code,
)


def _login_audit(app: Flask) -> list[AuditRecord]:
    with app.app_context():
        return [r for r in records(AuditFilter()) if r.action == "login"]


def test_sign_in_with_password_and_code_opens_the_lookup_page(web_app: Flask, clock: Clock) -> None:
    client = web_app.test_client()
    who = make_officer(web_app, "ada")
    response = sign_in(client, who, clock)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/lookup")
    cookie = client.get_cookie("dipcheck_web")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    page = client.get("/lookup")
    assert page.status_code == 200
    assert "Plate, ID card number, licence number or name" in page.get_data(as_text=True)
    [entry] = _login_audit(web_app)
    assert (entry.channel, entry.outcome, entry.query) == ("web", "match", "ada")
    assert entry.actor == f"officer:{who.officer_id}"
    assert entry.agency_id == who.agency_id
    assert entry.detail["result"] == "signed_in"


def test_wrong_code_fails_with_a_message_that_does_not_reveal_the_account(
    web_app: Flask, clock: Clock
) -> None:
    client = web_app.test_client()
    who = make_officer(web_app, "ada")
    wrong_code = sign_in(client, who, clock, code="000000")
    unknown = sign_in(client, who, clock, username="nobody")
    assert wrong_code.status_code == unknown.status_code == 401
    assert _error_text(wrong_code) == _error_text(unknown)
    assert client.get("/lookup").status_code == 302
    outcomes = [(r.outcome, r.detail["result"], r.actor) for r in _login_audit(web_app)]
    assert ("denied", "bad_credentials", f"officer:{who.officer_id}") in outcomes
    assert ("denied", "unknown_user", None) in outcomes


def _error_text(response: TestResponse) -> str:
    html = response.get_data(as_text=True)
    start = html.index('id="login-error">') + len('id="login-error">')
    return html[start : html.index("</p>", start)]


def test_a_code_is_accepted_only_once(web_app: Flask, clock: Clock) -> None:
    who = make_officer(web_app, "ada")
    first = web_app.test_client()
    assert sign_in(first, who, clock).status_code == 303
    second = web_app.test_client()
    replay = sign_in(second, who, clock, code=totp_code(who.totp_secret, clock()))
    assert replay.status_code == 401
    clock.advance(seconds=30)
    assert sign_in(second, who, clock).status_code == 303


def test_banner_must_be_acknowledged(web_app: Flask, clock: Clock) -> None:
    client = web_app.test_client()
    who = make_officer(web_app, "ada")
    response = sign_in(client, who, clock, acknowledge="")
    assert response.status_code == 400
    assert "Read the notice" in response.get_data(as_text=True)
    assert client.get("/lookup").status_code == 302
    [entry] = _login_audit(web_app)
    assert (entry.outcome, entry.detail["result"]) == ("denied", "banner_not_acknowledged")


def test_login_form_needs_its_csrf_token(web_app: Flask, clock: Clock) -> None:
    client = web_app.test_client()
    who = make_officer(web_app, "ada")
    response = sign_in(client, who, clock, csrf_token="forged")
    assert response.status_code == 400
    assert client.get("/lookup").status_code == 302
    assert _login_audit(web_app) == []


def test_five_failures_lock_until_a_supervisor_unlocks(web_app: Flask, clock: Clock) -> None:
    client = web_app.test_client()
    who = make_officer(web_app, "ada")
    boss = make_officer(web_app, "boss", role="supervisor")
    for _ in range(5):
        assert sign_in(client, who, clock, password="wrong password").status_code == 401
        clock.advance(minutes=2)
    locked = sign_in(client, who, clock)
    assert locked.status_code == 401
    assert "locked" in locked.get_data(as_text=True)
    clock.advance(hours=3)  # a lock does not expire on its own
    assert sign_in(client, who, clock).status_code == 401

    supervisor = web_app.test_client()
    assert sign_in(supervisor, boss, clock).status_code == 303
    page = supervisor.get("/supervisor/officers")
    assert f"Unlock {who.username}" in page.get_data(as_text=True)
    unlock = supervisor.post(
        f"/supervisor/officers/{who.officer_id}/unlock",
        data={"csrf_token": csrf_of(page.get_data(as_text=True))},
    )
    assert unlock.status_code == 303
    clock.advance(seconds=30)
    assert sign_in(client, who, clock).status_code == 303


def test_failures_older_than_fifteen_minutes_do_not_count(web_app: Flask, clock: Clock) -> None:
    client = web_app.test_client()
    who = make_officer(web_app, "ada")
    for _ in range(4):
        sign_in(client, who, clock, password="wrong password")
    clock.advance(minutes=16)
    sign_in(client, who, clock, password="wrong password")
    clock.advance(seconds=30)
    assert sign_in(client, who, clock).status_code == 303


def test_idle_and_absolute_timeouts(web_app: Flask, clock: Clock) -> None:
    client = web_app.test_client()
    who = make_officer(web_app, "ada")
    sign_in(client, who, clock)
    clock.advance(minutes=29)
    assert client.get("/lookup").status_code == 200
    clock.advance(minutes=29)  # 29 idle minutes again: still alive
    assert client.get("/lookup").status_code == 200
    clock.advance(minutes=30)
    expired = client.get("/lookup")
    assert expired.status_code == 302
    assert "ended=1" in expired.headers["Location"]

    sign_in(client, who, clock)
    signed_in_at = clock()
    while client.get("/lookup").status_code == 200:  # active every 15 minutes
        clock.advance(minutes=15)
        assert clock() - signed_in_at <= timedelta(hours=12)
    assert clock() - signed_in_at == timedelta(hours=12)


def test_sign_out_kills_the_session_on_the_server(web_app: Flask, clock: Clock) -> None:
    client = web_app.test_client()
    who = make_officer(web_app, "ada")
    sign_in(client, who, clock)
    cookie = client.get_cookie("dipcheck_web")
    assert cookie is not None
    page = client.get("/lookup").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_of(page)}).status_code == 303
    replayed = web_app.test_client()
    replayed.set_cookie("dipcheck_web", cookie.value)
    assert replayed.get("/lookup").status_code == 302


def test_first_sign_in_enrols_the_authenticator(web_app: Flask, clock: Clock) -> None:
    client = web_app.test_client()
    who = make_officer(web_app, "newbie", enrolled=False)
    response = sign_in(client, who, clock, code=who.enrolment_code)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/login/enrol")
    assert client.get("/lookup").status_code == 302  # not signed in yet
    page = client.get("/login/enrol").get_data(as_text=True)
    assert "<svg" in page
    assert "<path" in page
    grouped = " ".join(who.totp_secret[i : i + 4] for i in range(0, len(who.totp_secret), 4))
    assert grouped in page
    confirm = client.post(
        "/login/enrol",
        data={"csrf_token": csrf_of(page), "code": totp_code(who.totp_secret, clock())},
    )
    assert confirm.status_code == 303
    assert confirm.headers["Location"].endswith("/lookup")
    assert client.get("/lookup").status_code == 200
    # Enrolled: the key is never shown again, and the next sign-in needs a code.
    assert client.get("/login/enrol").status_code == 302
    clock.advance(seconds=30)
    assert sign_in(web_app.test_client(), who, clock, code="").status_code == 401


def test_security_headers(web_app: Flask, clock: Clock) -> None:
    client = web_app.test_client()
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_https_public_url_makes_the_cookie_secure(make_app: AppFactory, clock: Clock) -> None:
    app = make_app(CLOCK=clock, **GENEROUS_LIMITS, public_url="https://dipcheck.example")
    client = app.test_client()
    who = make_officer(app, "ada")
    sign_in(client, who, clock)
    cookie = client.get_cookie("__Host-dipcheck_web")
    assert cookie is not None
    assert cookie.secure
    assert cookie.http_only
    assert "max-age=31536000" in client.get("/login").headers["Strict-Transport-Security"]


def test_timeouts_come_from_the_settings(make_app: AppFactory, clock: Clock) -> None:
    app = make_app(CLOCK=clock, **GENEROUS_LIMITS, web_idle_minutes=5)
    client = app.test_client()
    sign_in(client, make_officer(app, "ada"), clock)
    clock.advance(minutes=4)
    assert client.get("/lookup").status_code == 200
    clock.advance(minutes=5)
    assert client.get("/lookup").status_code == 302


def test_timeouts_cannot_exceed_the_policy(make_app: AppFactory) -> None:
    with pytest.raises(ConfigError, match="DIPCHECK_WEB_IDLE_MINUTES"):
        make_app(web_idle_minutes=60)
    with pytest.raises(ConfigError, match="DIPCHECK_WEB_ABSOLUTE_HOURS"):
        make_app(web_absolute_hours=24)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(username=st.text(max_size=300), password=st.text(max_size=300), code=st.text(max_size=40))
def test_any_sign_in_input_is_refused_cleanly(
    web_app: Flask, clock: Clock, username: str, password: str, code: str
) -> None:
    client = web_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_of(page),
            "acknowledge": "yes",
            "username": username,
            "password": password,
            "code": code,
        },
    )
    assert response.status_code == 401
    assert 'id="login-error"' in response.get_data(as_text=True)


def test_the_sign_in_page_says_why_the_session_ended(web_app: Flask) -> None:
    page = web_app.test_client().get("/login?ended=1").get_data(as_text=True)
    assert "30 minutes without activity or 12 hours since sign-in" in page


def test_the_password_alone_never_shows_the_secret_of_an_unenrolled_account(
    web_app: Flask, clock: Clock
) -> None:
    who = make_officer(web_app, "newbie", enrolled=False)
    client = web_app.test_client()
    for code in ("", "123456", "0000 0000 0000"):
        response = sign_in(client, who, clock, code=code)
        assert response.status_code == 401
        page = client.get("/login/enrol")
        assert page.status_code == 302  # no enrolment session
        assert who.totp_secret[:8] not in page.get_data(as_text=True)
    with web_app.app_context():
        officer = accounts.get_officer(state_store(), who.officer_id)
        assert officer is not None
        assert len(officer.failed_logins) == 3  # wrong codes count toward the lockout
        entries = list(state_store().iter_audit(AuditFilter()))
    assert entries[0].detail["step"] == "enrolment_code"
    assert entries[0].outcome == "denied"


def test_an_enrolment_code_works_once(web_app: Flask, clock: Clock) -> None:
    who = make_officer(web_app, "newbie", enrolled=False)
    first = web_app.test_client()
    assert sign_in(first, who, clock, code=who.enrolment_code).status_code == 303
    assert who.totp_secret[:4] in first.get("/login/enrol").get_data(as_text=True)
    again = web_app.test_client()
    assert sign_in(again, who, clock, code=who.enrolment_code).status_code == 401
    assert again.get("/login/enrol").status_code == 302


def test_an_enrolment_code_expires_and_wrong_ones_lock_the_account(
    web_app: Flask, clock: Clock
) -> None:
    late = make_officer(web_app, "late", enrolled=False)
    clock.advance(hours=72, minutes=1)
    assert sign_in(web_app.test_client(), late, clock, code=late.enrolment_code).status_code == 401
    who = make_officer(web_app, "guesser", enrolled=False)
    for _ in range(5):
        sign_in(web_app.test_client(), who, clock, code="1111 2222 3333")
    with web_app.app_context():
        officer = accounts.get_officer(state_store(), who.officer_id)
    assert officer is not None
    assert officer.locked
    # Locked: even the right code no longer opens the enrolment.
    assert sign_in(web_app.test_client(), who, clock, code=who.enrolment_code).status_code == 401
