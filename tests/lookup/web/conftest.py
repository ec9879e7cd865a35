"""Fixtures for the officer web: an app with a movable clock, a data set with one person of
each immunity level, and officers of two agencies (with their TOTP secrets) to sign in as."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from lookup.extensions import search_backend, state_store
from lookup.identity import accounts
from lookup.identity.enrolment import issue_enrolment_code
from search_index.records import Dataset
from tests.factories import make_license, make_person, make_vehicle, small_dataset
from tests.lookup.conftest import AppFactory

PASSWORD = "correct horse battery staple"
OFFICIAL_ACTS_ID = "P-0006"
OFFICIAL_ACTS_PLATE = "SVL4321"
OFFICIAL_ACTS_CREDENTIAL = "OF900002"
OFFICIAL_ACTS_LICENSE = "OFM100203"


# Limits the tests never reach (the limiter still runs); the rate-limit test sets its own.
GENEROUS_LIMITS: dict[str, Any] = {
    "ratelimit_lookups": "100000/minute",
    "WEB_LOGIN_RATE": "100000/minute",
}


class Clock:
    """A settable UTC clock for app.config["CLOCK"]: tests move time instead of waiting."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def web_dataset() -> Dataset:
    """The shared small data set plus an active service-staff member (official-acts immunity)
    whose car has no insurance on record."""
    base = small_dataset()
    staff = make_person(
        person_id=OFFICIAL_ACTS_ID,
        family_name="Varga",
        given_names="Lenka",
        date_of_birth=date(1985, 3, 9),
        title="Chauffeur",
        category="service_staff",
        credential_number=OFFICIAL_ACTS_CREDENTIAL,
        credential_type="official",
    )
    car = make_vehicle(
        plate=OFFICIAL_ACTS_PLATE,
        owner_person_id=OFFICIAL_ACTS_ID,
        vin=None,
        color="grey",
        insurer=None,
        policy_number=None,
        policy_effective=None,
        policy_expiry=None,
        coverage_csl=None,
    )
    licence = make_license(license_number=OFFICIAL_ACTS_LICENSE, person_id=OFFICIAL_ACTS_ID)
    return replace(
        base,
        persons=(*base.persons, staff),
        vehicles=(*base.vehicles, car),
        licenses=(*base.licenses, licence),
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def web_app(make_app: AppFactory, clock: Clock) -> Flask:
    app = make_app(publish=False, CLOCK=clock, **GENEROUS_LIMITS)
    with app.app_context():
        search_backend().publish(web_dataset())
    return app


@dataclass(frozen=True)
class OfficerLogin:
    username: str
    password: str
    totp_secret: str
    officer_id: str
    agency_id: str
    enrolment_code: str = ""  # the one-time code of an officer not yet enrolled


def make_officer(
    app: Flask,
    username: str,
    *,
    agency: str = "Metro Police",
    role: accounts.OfficerRole = "officer",
    enrolled: bool = True,
) -> OfficerLogin:
    """An officer (and the agency, if new). `enrolled` marks the authenticator as set up, as
    after a first sign-in; otherwise the officer has a one-time enrolment code, and the first
    sign-in with it shows the enrolment page."""
    with app.app_context():
        found = accounts.find_agency(state_store(), agency) or accounts.create_agency(
            state_store(), agency
        )
        officer = accounts.create_officer(
            state_store(),
            found,
            username=username,
            display_name=username.title(),
            password=PASSWORD,
            role=role,
        )
        code = ""
        if enrolled:
            accounts.update_officer(
                state_store(), officer, {"totp_enrolled_at": "2026-01-01T00:00:00+00:00"}
            )
        else:
            code = issue_enrolment_code(state_store(), officer, datetime.now(UTC))
    return OfficerLogin(username, PASSWORD, officer.totp_secret, officer.id, found.id, code)


def totp_code(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# A script element without a src: what the strict policy forbids (the pages load their only
# script, the offline app's registration, from a file).
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def inline_scripts(html: str) -> list[str]:
    return _INLINE_SCRIPT.findall(html)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "page has no CSRF token"
    return found.group(1)


def sign_in(client: FlaskClient, who: OfficerLogin, clock: Clock, **form: Any) -> Any:
    """Post the sign-in form (a fresh code for the clock's time unless `code` is given)."""
    page = client.get("/login")
    data = {
        "csrf_token": csrf_of(page.get_data(as_text=True)),
        "acknowledge": "yes",
        "username": who.username,
        "password": who.password,
        "code": totp_code(who.totp_secret, clock()),
    } | form
    return client.post("/login", data=data)
