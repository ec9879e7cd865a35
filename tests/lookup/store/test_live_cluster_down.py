"""The whole app on a private live Elasticsearch node that the test stops and starts again
(tests/live_cluster.py): records and app state both on it, as DIPCHECK_ELASTICSEARCH_URL sets up.

With the cluster down, a lookup must answer 503 "cannot verify now" (never a 500, never an empty
"no record"), both while the API key is still cached and once the cache has expired, when even
checking the key needs the cluster; once the node is back, lookups work with no app restart.
The same holds on every other channel: the officer web page, the SMS webhook and the QR scan
page each answer their own "cannot verify now" (never "no record", "invalid" or "no immunity"),
and, since the audit cannot be written either, nothing of the record.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from lookup.audit.records import records
from lookup.config import current_settings
from lookup.extensions import search_backend, state_store
from lookup.identity import phones
from lookup.identity.key_cache import clear_cache
from lookup.qr.documents import issue
from lookup.qr.key_ring import KEYSTORE_EXTENSION, keystore
from lookup.qr.keys import KeyStore
from lookup.store.base import AuditFilter
from tests.factories import DIPLOMAT_CREDENTIAL, DIPLOMAT_PLATE
from tests.live_cluster import LocalCluster, local_cluster
from tests.lookup.conftest import AgencyKeys, AppFactory, agency_with_keys, bearer
from tests.lookup.web.conftest import Clock, OfficerLogin, csrf_of, make_officer, sign_in

# Starting JVMs on a loaded 2-core machine can outlast the suite's 300 s per test.
pytestmark = [pytest.mark.es_cluster, pytest.mark.timeout(900)]

PLATE_URL = "/api/v1/plates/dvl-1234?reason=traffic_stop"
VERIFY_PHONE = "(571) 345-3146"  # the default DIPCHECK_VERIFY_PHONE
VERIFY_TEL = 'href="tel:+15713453146"'  # the call button
PUBLIC_URL = "https://dipcheck.police.example.gov"
AUTH_TOKEN = "f3a1c2d4e5b60718293a4b5c6d7e8f90"
UNLIMITED = "1000000/minute"
# What the record says about the diplomat and the car: none of it may show while DipCheck cannot
# record the lookup.
RECORD_FACTS = ("Ostrander", "Tatra", "Valdoria", DIPLOMAT_CREDENTIAL)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    with local_cluster(tmp_path_factory.mktemp("es-state"), nodes=1) as cluster:
        yield cluster


@pytest.fixture
def live_app(make_app: AppFactory, node: LocalCluster) -> Flask:
    return make_app(elasticsearch_url=node.url)


@pytest.fixture
def agency(live_app: Flask) -> Iterator[AgencyKeys]:
    # The node (and the app state on it) lives for the whole module: one agency per test.
    yield agency_with_keys(live_app, f"Metro Police {secrets.token_hex(3)}")
    clear_cache()


def assert_cannot_verify(response: TestResponse) -> None:
    """503 sending the officer to the 24/7 number: with records and audit both on the cluster,
    the lookup cannot be recorded either, so it is refused (fail closed) with that number."""
    assert response.status_code == 503
    assert VERIFY_PHONE in response.get_json()["error"]["message"]


def test_cluster_down_gives_503_then_recovers_without_restart(
    live_app: Flask, agency: AgencyKeys, node: LocalCluster
) -> None:
    client: FlaskClient = live_app.test_client()
    served = client.get(PLATE_URL, headers=bearer(agency.officer_key))
    assert served.status_code == 200
    assert served.get_json()["matches"][0]["vehicle"]["plate"] == DIPLOMAT_PLATE

    node.stop_node(1)
    try:
        # The key was verified a moment ago and is still cached: only the lookup needs the cluster.
        assert_cannot_verify(client.get(PLATE_URL, headers=bearer(agency.officer_key)))
        assert client.get("/readyz").status_code == 503
    finally:
        node.resume_node(1)
    back = client.get(PLATE_URL, headers=bearer(agency.officer_key))
    assert back.status_code == 200
    assert back.get_json()["matches"][0]["vehicle"]["plate"] == DIPLOMAT_PLATE


def test_cluster_down_with_the_key_cache_expired_is_503_not_500(
    live_app: Flask, agency: AgencyKeys, node: LocalCluster
) -> None:
    client: FlaskClient = live_app.test_client()
    assert client.get(PLATE_URL, headers=bearer(agency.officer_key)).status_code == 200
    node.stop_node(1)
    try:
        clear_cache()  # what the 5 s expiry does: the next request asks the store again
        assert_cannot_verify(client.get(PLATE_URL, headers=bearer(agency.officer_key)))
    finally:
        node.resume_node(1)
    clear_cache()
    assert client.get(PLATE_URL, headers=bearer(agency.officer_key)).status_code == 200


@dataclass
class Channels:
    """An app on the node with every channel set up: API keys, a signed-in officer's web
    client, an enrolled phone and QR codes for the diplomat's card and car."""

    app: Flask
    keys: AgencyKeys
    web: FlaskClient
    phone: str
    qr_tokens: tuple[str, str]


@pytest.fixture
def channels(
    make_app: AppFactory, node: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Channels]:
    clock = Clock()
    app = make_app(
        elasticsearch_url=node.url,
        secret_key="s" * 40,
        public_url=PUBLIC_URL,
        twilio_auth_token=AUTH_TOKEN,
        ratelimit_lookups=UNLIMITED,
        sms_ratelimit_phone=UNLIMITED,
        sms_ratelimit_all=UNLIMITED,
        qr_ratelimit=UNLIMITED,
        qr_keys_dir=tmp_path_factory.mktemp("qr_keys"),
        WEB_LOGIN_RATE=UNLIMITED,
        CLOCK=clock,
        apikey_cache_seconds=300,  # "warm" stays warm however long stopping the node takes
    )
    suffix = secrets.token_hex(3)
    keys = agency_with_keys(app, f"Metro Police {suffix}")
    officer: OfficerLogin = make_officer(app, f"officer{suffix}", agency=keys.agency.name)
    web = app.test_client()
    assert sign_in(web, officer, clock).status_code == 303
    phone = f"+1571555{secrets.randbelow(10_000):04d}"
    with app.app_context():
        phones.enrol(
            state_store(),
            phones.phone_hash(app.secret_key or "", phone),
            officer_id=officer.officer_id,
            agency_id=officer.agency_id,
        )
        keystore().create()
        signer = keystore().signer()
        with search_backend().snapshot() as snapshot:
            zone = current_settings().zone()
            card = issue(snapshot, "credential", DIPLOMAT_CREDENTIAL, signer, zone=zone).token
            car = issue(snapshot, "vehicle", DIPLOMAT_PLATE, signer, zone=zone).token
    yield Channels(app, keys, web, phone, (card, car))
    clear_cache()


def audit_count(channels: Channels) -> int:
    with channels.app.app_context():
        return len(list(records(AuditFilter(agency_id=channels.keys.agency.id))))


def keystore_dir(app: Flask) -> Path:
    with app.app_context():
        return keystore().directory


def web_lookup(channels: Channels, query: str) -> TestResponse:
    form = channels.web.get("/lookup")
    token = csrf_of(form.get_data(as_text=True)) if form.status_code == 200 else ""
    data = {"csrf_token": token, "q": query, "kind": "auto", "reason": "traffic_stop"}
    return channels.web.post("/lookup", data=data)


def sms_reply(channels: Channels, body: str) -> str:
    params = {
        "MessageSid": f"SM{secrets.token_hex(16)}",
        "AccountSid": "AC" + "0" * 32,
        "From": channels.phone,
        "To": "+12025550188",
        "Body": body,
    }
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + "/sms/twilio", params)
    response = channels.app.test_client().post(
        "/sms/twilio", data=params, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 200
    root = ET.fromstring(response.get_data(as_text=True))  # noqa: S314 - our own response
    return "".join(m.text or "" for m in root.iter("Message"))


def qr_scans(channels: Channels, token: str) -> list[TestResponse]:
    """The scan page and its JSON, for the public and for an officer asking the full record."""
    client = channels.app.test_client()
    officer = bearer(channels.keys.officer_key)
    return [
        client.get(f"/v/{token}", headers={"Accept": "text/html"}),
        client.get(f"/v/{token}", headers={"Accept": "application/json"}),
        client.get(f"/v/{token}?reason=traffic_stop", headers={"Accept": "text/html"} | officer),
        client.get(
            f"/v/{token}?reason=traffic_stop", headers={"Accept": "application/json"} | officer
        ),
    ]


def assert_every_channel_answers(channels: Channels) -> None:
    api = channels.app.test_client().get(PLATE_URL, headers=bearer(channels.keys.officer_key))
    assert api.status_code == 200
    assert api.get_json()["matches"][0]["vehicle"]["plate"] == DIPLOMAT_PLATE
    page = web_lookup(channels, DIPLOMAT_PLATE)
    assert page.status_code == 303
    assert "Tatra" in channels.web.get(page.headers["Location"]).get_data(as_text=True)
    assert "Owner OSTRANDER M. FULL IMMUNITY" in sms_reply(channels, f"P {DIPLOMAT_PLATE}")
    for token in channels.qr_tokens:
        for scan in qr_scans(channels, token):
            assert scan.status_code == 200
            assert "Valdoria" in scan.get_data(as_text=True)


def leaked(text: str) -> list[str]:
    return [fact for fact in RECORD_FACTS if fact.lower() in text.lower()]


def assert_every_channel_cannot_verify(channels: Channels) -> None:
    assert_cannot_verify(
        channels.app.test_client().get(PLATE_URL, headers=bearer(channels.keys.officer_key))
    )
    for query in (DIPLOMAT_PLATE, DIPLOMAT_CREDENTIAL):
        page = web_lookup(channels, query)
        html = page.get_data(as_text=True)
        assert page.status_code == 503, html[:500]
        assert "Cannot verify now" in html
        assert VERIFY_TEL in html
        assert "no record" not in html.lower().replace("“no record”", "")
        assert not leaked(html)
    for body in (f"P {DIPLOMAT_PLATE}", f"ID {DIPLOMAT_CREDENTIAL}"):
        reply = sms_reply(channels, body)
        assert reply.startswith("Cannot verify now. Call"), reply
        assert "571-345-3146" in reply  # the verify number as SMS writes it
        assert " Ref " not in reply  # no audit record, so no reference to quote
        assert not leaked(reply)
    for token in channels.qr_tokens:
        public_html, public, officer_html, officer = qr_scans(channels, token)
        for scan in (public_html, public, officer_html, officer):
            assert scan.status_code == 503, scan.get_data(as_text=True)[:500]
            text = scan.get_data(as_text=True)
            assert not leaked(text)
            assert "no immunity" not in text.lower()
        for scan in (public, officer):
            assert scan.get_json()["result"] == "unavailable"
        for scan in (public_html, officer_html):
            page_text = scan.get_data(as_text=True)
            assert "Cannot verify now" in page_text
            assert VERIFY_TEL in page_text
            assert "invalid" not in page_text.lower()


def test_every_channel_cannot_verify_with_the_cluster_down_then_recovers(
    channels: Channels, node: LocalCluster
) -> None:
    assert_every_channel_answers(channels)
    recorded = audit_count(channels)
    node.stop_node(1)
    try:
        # Warm: the API key was checked a moment ago and the QR key ring is read.
        assert_every_channel_cannot_verify(channels)
        # Expired: the 5 s API key cache gone, the key ring read again from disk; the web
        # session and the phone enrolment are looked up in the store on every request anyway.
        clear_cache()
        channels.app.extensions[KEYSTORE_EXTENSION] = KeyStore(keystore_dir(channels.app))
        assert_every_channel_cannot_verify(channels)
    finally:
        node.resume_node(1)
    clear_cache()
    # Nothing was recorded while the store was down (the lookups were refused instead), and
    # nothing turns up afterwards either.
    assert audit_count(channels) == recorded
    assert_every_channel_answers(channels)
    assert audit_count(channels) > recorded
