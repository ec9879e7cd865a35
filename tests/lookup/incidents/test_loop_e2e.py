"""The whole loop over real HTTP (the app served on a loopback port): a licence lookup, a report
filed on the API and one on the web, OFM's analyst assessing 5 points on each (API and web), and
the next licence lookup showing 10 points and the review alert on the API, the web and SMS."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyotp
import pytest
import requests
from flask import Flask
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

from lookup import create_app
from lookup.extensions import search_backend, state_store
from lookup.identity import accounts, phones
from tests.factories import DIPLOMAT_ID, DIPLOMAT_LICENSE, small_dataset
from tests.lookup.sms.conftest import AUTH_TOKEN, twilio_params
from tests.lookup.web.conftest import PASSWORD, csrf_of, make_officer

PHONE = "+15715550101"
HTTP = requests.Session()  # API and SMS calls: no cookies are set on these


class Site:
    def __init__(self, app: Flask, base: str) -> None:
        self.app = app
        self.base = base


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """The app on a free loopback port, its public URL that very address (so Twilio signatures
    and cookies work over plain HTTP)."""
    holder: dict[str, Flask] = {}

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        return holder["app"](environ, start_response)

    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app = create_app(
        data_dir=tmp_path / "data",
        secret_key="s" * 40,
        public_url=base,
        twilio_auth_token=AUTH_TOKEN,
        ratelimit_lookups="100000/minute",
        WEB_LOGIN_RATE="100000/minute",
        TESTING=True,
    )
    with app.app_context():
        search_backend().publish(small_dataset())
    holder["app"] = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(app, base)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            search_backend().close()
            state_store().close()


def web_session(site: Site, username: str, secret: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{site.base}/login")
    signed = browser.post(
        f"{site.base}/login",
        data={
            "csrf_token": csrf_of(page.text),
            "acknowledge": "yes",
            "username": username,
            "password": PASSWORD,
            "code": pyotp.TOTP(secret).now(),
        },
        allow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    return browser


def form_fields(page: str, action: str) -> dict[str, str]:
    """The inputs of the form posting to `action` with the values a browser would send (radio
    buttons left out: the test sets them)."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert form, f"no form posting to {action}"
    return {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(
            r'<input (?![^>]*type="radio")[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(1)
        )
    }


def web_lookup(site: Site, browser: requests.Session) -> str:
    form = browser.get(f"{site.base}/lookup").text
    answer = browser.post(
        f"{site.base}/lookup",
        data={
            "csrf_token": csrf_of(form),
            "q": DIPLOMAT_LICENSE,
            "kind": "license",
            "reason": "crash",
        },
    )
    assert answer.status_code == 200
    return answer.text


def sms_reply(site: Site, body: str) -> str:
    url = f"{site.base}/sms/twilio"
    params = twilio_params(body, PHONE, "SM" + "1" * 32)
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    response = HTTP.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)
    assert response.status_code == 200
    message = re.search(r"<Message>(.*?)</Message>", response.text, re.S)
    assert message is not None
    return html.unescape(message.group(1))


def test_report_assess_and_the_next_lookup_shows_the_points(site: Site) -> None:
    app, base = site.app, site.base
    with app.app_context():
        metro = accounts.create_agency(state_store(), "Metro Police")
        _k, police_key = accounts.create_api_key(state_store(), metro)
        ofm = accounts.create_agency(state_store(), "Office of Foreign Missions", kind="ofm")
        _a, analyst_key = accounts.create_api_key(state_store(), ofm, role="analyst")
    officer = make_officer(app, "jdoe", agency="Metro Police")
    analyst = make_officer(app, "ana", agency="Office of Foreign Missions", role="analyst")
    with app.app_context():
        phones.enrol(
            state_store(),
            phones.phone_hash(app.secret_key or "", PHONE),
            officer_id=officer.officer_id,
            agency_id=metro.id,
        )
    api = {"Authorization": f"Bearer {police_key}"}
    ofm_api = {"Authorization": f"Bearer {analyst_key}"}
    licence_url = f"{base}/api/v1/licenses/{DIPLOMAT_LICENSE}?reason=crash"

    # 1. A lookup, then a report on the API that follows it.
    before = HTTP.get(licence_url, headers=api, timeout=30).json()
    assert before["matches"][0]["license"]["points"] == 0
    occurred = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    filed = HTTP.post(
        f"{base}/api/v1/incidents",
        headers=api,
        timeout=30,
        json={
            "occurred_at": occurred,
            "kind": "moving_violation",
            "subject": {"license_number": DIPLOMAT_LICENSE},
            "lookup_reference": before["reference"],
            "violation": "Red light",
            "reporting_officer": {"name": "Cpl. Ray Ortiz"},
        },
    )
    assert filed.status_code == 201, filed.text
    api_incident = filed.json()["incident_id"]

    # 2. A report on the web, opened from the answer's "Report an incident".
    browser = web_session(site, officer.username, officer.totp_secret)
    answer = web_lookup(site, browser)
    carried = form_fields(answer, "/incidents/new")
    assert carried["license_number"] == DIPLOMAT_LICENSE
    assert carried["lookup_reference"].startswith("DC-")
    form = browser.post(f"{base}/incidents/new", data=carried)
    assert form.status_code == 200
    assert DIPLOMAT_LICENSE in form.text
    # The form's time is the agency's wall clock (DIPCHECK_TIMEZONE, default New York).
    zone = ZoneInfo("America/New_York")
    local = (datetime.now(UTC) - timedelta(hours=3)).astimezone(zone).replace(tzinfo=None)
    sent = browser.post(
        f"{base}/incidents",
        data={
            **form_fields(form.text, "/incidents"),
            "occurred_at": local.isoformat(timespec="minutes"),
            "kind": "crash",
            "narrative": "Rear-ended a stopped car.",
            "immunity_claimed": "yes",
        },
        allow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    web_incident = sent.headers["Location"].rsplit("/", 1)[-1]
    listing = browser.get(f"{base}/incidents").text
    assert api_incident in listing
    assert web_incident in listing

    # 3. OFM assesses 5 points on each: one on the API, one on the analyst's web page.
    assessed = HTTP.post(
        f"{base}/api/v1/incidents/{api_incident}/assessment",
        headers=ofm_api,
        timeout=30,
        json={"decision": "points_assessed", "points": 5},
    )
    assert assessed.status_code == 200, assessed.text
    ofm_browser = web_session(site, analyst.username, analyst.totp_secret)
    queue = ofm_browser.get(f"{base}/incidents?status=submitted").text
    assert web_incident in queue
    assert api_incident not in queue
    report = ofm_browser.get(f"{base}/incidents/{web_incident}").text
    saved = ofm_browser.post(
        f"{base}/incidents/{web_incident}/assessment",
        data={"csrf_token": csrf_of(report), "decision": "points_assessed", "points": "5"},
        allow_redirects=False,
    )
    assert saved.status_code == 303, saved.text

    # 4. The next licence lookup: 10 points and the review alert, on every channel.
    after = HTTP.get(licence_url, headers=api, timeout=30).json()["matches"][0]
    assert after["license"]["points"] == 10
    assert after["license"]["points_from_reports"] == 10
    assert after["license"]["points_alert"] == "review"
    assert after["person"]["person_id"] == DIPLOMAT_ID
    page = html.unescape(web_lookup(site, browser))
    assert "10 points" in page
    assert "where OFM reviews the driving record" in page
    reply = sms_reply(site, f"DL {DIPLOMAT_LICENSE}")
    assert "10 pts" in reply
    assert "REVIEW" in reply
    assert len(reply) <= 160
    # The officer sees the status of the agency's reports.
    assert "assessed" in browser.get(f"{base}/incidents/{web_incident}").text
