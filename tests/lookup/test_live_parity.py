"""The whole app on a live Elasticsearch answers exactly as on SQLite.

The same demo data set is imported into an app on SQLite and into an app on the live cluster
(records and app state on Elasticsearch, as DIPCHECK_ELASTICSEARCH_URL sets up); then a few
thousand lookups (every plate, look-alike plates, partial plates, ID cards, licences, names typed
with typos and in another word order, with and without filters) go through the JSON API, and
samples through the SMS webhook, the officer web page and the QR scan page (codes signed with one
key ring both apps share) of both. The answers must be identical except for what names the
request itself: the audit reference and the publication time. Training mode answers the same on
both too: it searches its own synthetic set on SQLite even beside Elasticsearch.
"""

from __future__ import annotations

import re
import secrets
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from lookup import create_app
from lookup.audit.records import records
from lookup.cli_data import import_directory
from lookup.config import current_settings
from lookup.extensions import search_backend, state_store
from lookup.identity import accounts, phones
from lookup.qr.documents import NotIssuable, issue
from lookup.qr.key_ring import keystore
from lookup.store.base import AuditFilter
from outreach.library import current_content
from outreach.training_data import EXTENSION_KEY as TRAINING_KEY
from outreach.training_data import training_backend
from search_index.demo_data import write_demo_data
from search_index.elasticsearch.client import ClientOptions, connect
from search_index.importer import load_directory
from search_index.records import Dataset
from search_index.sqlite.backend import SQLiteBackend
from tests.live_elasticsearch import live_url
from tests.lookup.conftest import bearer
from tests.lookup.web.conftest import PASSWORD, Clock, OfficerLogin, csrf_of, sign_in
from tests.lookup.web.test_lookup_pages import text_of

pytestmark = pytest.mark.es_live

PUBLIC_URL = "https://dipcheck.police.example.gov"
AUTH_TOKEN = "f3a1c2d4e5b60718293a4b5c6d7e8f90"
REFERENCE = re.compile(r"DC-[0-9A-Z]{5}-[0-9A-Z]{5}")
# The page's "data as of" line: each app published its copy at its own minute.
DATA_AGE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC, \d+ (?:min|h|days) old")
UNLIMITED = "1000000/minute"
# Look-alike characters to type in place of a plate's (any answer will do: the same on both).
LOOK_ALIKE = str.maketrans("0O1I8B5S2Z", "O0I1B8S5Z2")
CLOCK = Clock()
# QR codes are signed at one fixed moment (Ed25519 signatures are deterministic): the code an app
# issues from its own copy of the data must then be the very same string on both backends.
QR_ISSUED = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
QR_HTML = {"Accept": "text/html"}
QR_JSON = {"Accept": "application/json"}


@dataclass
class Deployment:
    app: Flask
    api_key: str
    phone: str
    officer: OfficerLogin


def deploy(data_dir: Path, demo: Path, elasticsearch_url: str | None, qr_keys: Path) -> Deployment:
    backend_setting = {"elasticsearch_url": elasticsearch_url} if elasticsearch_url else {}
    app = create_app(
        data_dir=data_dir,
        qr_keys_dir=qr_keys,  # one key ring for both: the same code verifies on either
        secret_key="s" * 40,
        public_url=PUBLIC_URL,
        twilio_auth_token=AUTH_TOKEN,
        ratelimit_lookups=UNLIMITED,
        sms_ratelimit_phone=UNLIMITED,
        sms_ratelimit_all=UNLIMITED,
        qr_ratelimit=UNLIMITED,
        TESTING=True,
        CLOCK=CLOCK,  # both apps at the same instant: pages print the time of the answer
        WEB_LOGIN_RATE=UNLIMITED,
        **backend_setting,
    )
    # A cluster shared between runs keeps app state: names and phones unique to this run.
    phone = f"+1571555{secrets.randbelow(10_000):04d}"
    with app.app_context():
        import_directory(search_backend(), demo)
        agency = accounts.create_agency(state_store(), f"Parity Police {secrets.token_hex(4)}")
        _, key = accounts.create_api_key(state_store(), agency, role="officer")
        officer = accounts.create_officer(
            state_store(),
            agency,
            username=f"parity{secrets.token_hex(4)}",
            display_name="Parity",
            password=PASSWORD,
        )
        accounts.update_officer(
            state_store(), officer, {"totp_enrolled_at": "2026-01-01T00:00:00+00:00"}
        )
        phones.enrol(
            state_store(),
            phones.phone_hash(app.secret_key or "", phone),
            officer_id=officer.id,
            agency_id=agency.id,
        )
    login = OfficerLogin(officer.username, PASSWORD, officer.totp_secret, officer.id, agency.id)
    return Deployment(app, key, phone, login)


def drop_app_indices(url: str) -> None:
    """Delete the indices an app on the default prefix made (test-prefixed ones are other
    tests'); each by name, as the cluster refuses wildcard deletes."""
    admin = connect(url, ClientOptions(request_timeout=30.0))
    try:
        for name in admin.indices.get(index="dipcheck-*", expand_wildcards="all"):
            if not name.startswith("dipcheck-test-"):
                admin.indices.delete(index=name)
    finally:
        admin.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo")
    write_demo_data(directory, scale="small", seed=7)
    return directory


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, demo: Path
) -> Iterator[tuple[Deployment, Deployment]]:
    url = live_url()
    qr_keys = tmp_path_factory.mktemp("qr_keys")
    sqlite = deploy(tmp_path_factory.mktemp("sqlite"), demo, None, qr_keys)
    live = deploy(tmp_path_factory.mktemp("es"), demo, url, qr_keys)
    with sqlite.app.app_context():
        keystore().create(now=QR_ISSUED - timedelta(days=1))
    try:
        yield sqlite, live
    finally:
        for deployment in (sqlite, live):
            with deployment.app.app_context():
                search_backend().close()
                state_store().close()
            training = deployment.app.extensions.get(TRAINING_KEY)
            if training is not None:
                training.backend.close()
        drop_app_indices(url)


def _typo(word: str) -> str:
    """Two neighbouring letters swapped (one typo in the OSA distance the ranking uses)."""
    if len(word) < 4:
        return word
    return word[:1] + word[2] + word[1] + word[3:]


def api_paths(dataset: Dataset) -> list[str]:
    """A few thousand lookups over the small demo set: every plate as printed and with look-alike
    characters, patterns of every other plate, every ID card and licence, and names of every
    fourth person typed three ways, with and without filters."""
    reason = "reason=traffic_stop"
    paths = [f"/api/v1/plates/{quote(v.plate)}?{reason}" for v in dataset.vehicles]
    for v in dataset.vehicles:
        paths.append(f"/api/v1/plates/{quote(v.plate.translate(LOOK_ALIKE))}?{reason}")
    for v in dataset.vehicles[::2]:
        for pattern in (v.plate[:4] + "*", "?" + v.plate[1:], v.plate[:2] + "?" + v.plate[3:]):
            paths.append("/api/v1/plates?" + urlencode({"pattern": pattern, "reason": "crash"}))
    for p in dataset.persons:
        if p.credential_number:
            paths.append(f"/api/v1/credentials/{quote(p.credential_number)}?{reason}")
    for lic in dataset.licenses:
        paths.append(f"/api/v1/licenses/{quote(lic.license_number)}?{reason}")
    countries = {m.mission_id: m.country for m in dataset.missions}
    for n, p in enumerate(dataset.persons[::4]):
        given = p.given_names or ""
        names = [f"{given} {p.family_name}", f"{p.family_name} {given}", _typo(p.family_name)]
        for name in names:
            query: dict[str, str] = {"name": name.strip(), "reason": "investigation"}
            if n % 3 == 0 and p.date_of_birth is not None:
                query["date_of_birth"] = p.date_of_birth.isoformat()
            if n % 3 == 1:
                query["country"] = countries[p.mission_id]
            paths.append("/api/v1/persons?" + urlencode(query))
    return paths


def comparable(answer: Any) -> Any:
    """The answer without what names this request: its audit reference and the set's
    publication time (each import publishes at its own moment)."""
    if isinstance(answer, dict):
        return {k: comparable(v) for k, v in answer.items() if k not in ("reference", "data_as_of")}
    if isinstance(answer, list):
        return [comparable(v) for v in answer]
    return answer


def _api_pair(pair: tuple[Deployment, Deployment], path: str) -> str:
    """One lookup on both apps; the outcome ("match" or "empty") once both answers agree."""
    outcome = ""
    answers = []
    for deployment in pair:
        response = deployment.app.test_client().get(path, headers=bearer(deployment.api_key))
        assert response.status_code == 200, (path, response.get_json())
        answers.append(comparable(response.get_json()))
        outcome = "match" if response.get_json()["matches"] else "empty"
    assert answers[1] == answers[0], path
    return outcome


def test_every_api_answer_is_the_same_on_elasticsearch_as_on_sqlite(
    pair: tuple[Deployment, Deployment], demo: Path
) -> None:
    paths = api_paths(load_directory(demo))
    assert len(paths) > 3000
    # Lookups run four at a time, as a threaded server runs them: most of a live lookup is
    # waiting on the cluster, so this keeps the few thousand pairs to about a minute.
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = Counter(pool.map(lambda path: _api_pair(pair, path), paths))
    # The sample exercises both outcomes, not only one.
    assert outcomes["match"] > 2500
    assert outcomes["empty"] > 0


def _sms(deployment: Deployment, body: str) -> str:
    params = {
        "MessageSid": f"SM{secrets.token_hex(16)}",
        "AccountSid": "AC" + "0" * 32,
        "From": deployment.phone,
        "To": "+12025550188",
        "Body": body,
    }
    url = PUBLIC_URL + "/sms/twilio"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    response = deployment.app.test_client().post(
        "/sms/twilio", data=params, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 200
    root = ET.fromstring(response.get_data(as_text=True))  # noqa: S314 - our own response
    return REFERENCE.sub("DC-REF", "".join(m.text or "" for m in root.iter("Message")))


def test_sms_replies_are_the_same_on_elasticsearch_as_on_sqlite(
    pair: tuple[Deployment, Deployment], demo: Path
) -> None:
    sqlite, live = pair
    dataset = load_directory(demo)
    bodies = [f"P {v.plate}" for v in dataset.vehicles[::10]]
    bodies += [f"P {v.plate.translate(LOOK_ALIKE)}" for v in dataset.vehicles[5::20]]
    bodies += [f"ID {p.credential_number}" for p in dataset.persons[::60] if p.credential_number]
    bodies += [f"DL {lic.license_number}" for lic in dataset.licenses[::40]]
    for body in bodies:
        expected = _sms(sqlite, body)
        assert expected
        assert _sms(live, body) == expected, body


def _web_page(client: FlaskClient, query: str) -> str:
    form = client.get("/lookup").get_data(as_text=True)
    data = {"csrf_token": csrf_of(form), "q": query, "kind": "auto", "reason": "traffic_stop"}
    posted = client.post("/lookup", data=data)
    assert posted.status_code == 303  # POST -> redirect -> GET of the kept answer page
    response = client.get(posted.headers["Location"])
    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True))
    assert DATA_AGE.search(text), "the page no longer shows the data's age as expected"
    return DATA_AGE.sub("DATA-AGE", REFERENCE.sub("DC-REF", text))


def test_web_pages_read_the_same_on_elasticsearch_as_on_sqlite(
    pair: tuple[Deployment, Deployment], demo: Path
) -> None:
    sqlite, live = pair
    clients = []
    for deployment in (sqlite, live):
        client = deployment.app.test_client()
        assert sign_in(client, deployment.officer, CLOCK).status_code == 303
        clients.append(client)
    dataset = load_directory(demo)
    queries = [v.plate for v in dataset.vehicles[3::12]]
    queries += [v.plate.translate(LOOK_ALIKE) for v in dataset.vehicles[7::24]]
    queries += [p.credential_number for p in dataset.persons[::50] if p.credential_number]
    queries += [f"{p.given_names or ''} {p.family_name}".strip() for p in dataset.persons[5::60]]
    for query in queries:
        expected = _web_page(clients[0], query)
        assert _web_page(clients[1], query) == expected, query


def _qr_token(deployment: Deployment, kind: str, subject: str) -> str:
    """The code this app signs for a credential number or plate of its own published data, or
    why it refuses to sign one."""
    with deployment.app.app_context(), search_backend().snapshot() as snapshot:
        try:
            issued = issue(
                snapshot,
                kind,  # type: ignore[arg-type]
                subject,
                keystore().signer(),
                zone=current_settings().zone(),
                now=QR_ISSUED,
            )
        except NotIssuable as refused:
            return f"not issuable: {refused}"
    return issued.token


def _qr_scan(deployment: Deployment, token: str) -> tuple[str, Any, Any]:
    """The scan page, its JSON for the public, and its JSON with an officer's full answer."""
    client = deployment.app.test_client()
    page = client.get(f"/v/{token}", headers=QR_HTML)
    public = client.get(f"/v/{token}", headers=QR_JSON)
    full = client.get(
        f"/v/{token}?reason=traffic_stop", headers=QR_JSON | bearer(deployment.api_key)
    )
    for response in (page, public, full):
        assert response.status_code == 200, (token, response.get_data(as_text=True)[:400])
    assert full.get_json()["answer"]["matches"], token
    html = REFERENCE.sub("DC-REF", text_of(page.get_data(as_text=True)))
    return html, comparable(public.get_json()), comparable(full.get_json())


def test_qr_codes_and_scans_are_the_same_on_elasticsearch_as_on_sqlite(
    pair: tuple[Deployment, Deployment], demo: Path
) -> None:
    sqlite, live = pair
    dataset = load_directory(demo)
    subjects = [("vehicle", v.plate) for v in dataset.vehicles[::4]]
    subjects += [("credential", p.credential_number) for p in dataset.persons[::20]]
    valid = 0
    for kind, subject in subjects:
        assert subject
        token = _qr_token(sqlite, kind, subject)
        # Issuing reads the published record: the same code (or refusal) from either backend.
        assert _qr_token(live, kind, subject) == token, subject
        if token.startswith("not issuable"):
            continue
        expected = _qr_scan(sqlite, token)
        assert expected[1]["result"] == "valid"
        assert _qr_scan(live, token) == expected, subject
        valid += 1
    assert valid > 60


def _training_page(deployment: Deployment, kind: str, q: str, scenario: str) -> str:
    client = deployment.app.test_client()
    form = client.get("/outreach/training/").get_data(as_text=True)
    data = {"kind": kind, "q": q, "scenario": scenario, "csrf_token": csrf_of(form)}
    response = client.post("/outreach/training/lookup", data=data)
    assert response.status_code == 200, (kind, q)
    return REFERENCE.sub("DC-REF", text_of(response.get_data(as_text=True)))


def test_training_mode_answers_the_same_and_runs_on_sqlite_beside_elasticsearch(
    pair: tuple[Deployment, Deployment],
) -> None:
    sqlite, live = pair
    with live.app.test_request_context():
        # Training searches its own synthetic set, on SQLite even when live records are on
        # Elasticsearch; only its audit records go to the app's state store (here the cluster).
        assert isinstance(training_backend(), SQLiteBackend)
        assert not isinstance(search_backend(), SQLiteBackend)
        scenarios = list(current_content().scenarios.values())
    lookups = [(s.lookup.kind, s.lookup.value, s.id) for s in scenarios]
    # The same scenarios typed with a typo or look-alike characters, outside any scenario.
    lookups += [
        (kind, value.translate(LOOK_ALIKE) if kind == "plate" else _typo(value), "")
        for kind, value, _ in lookups
    ]
    assert len(lookups) <= 50  # under the training page's 60 lookups a minute per address
    for kind, value, scenario in lookups:
        expected = _training_page(sqlite, kind, value, scenario)
        assert "TRAINING" in expected
        assert _training_page(live, kind, value, scenario) == expected, (kind, value)
    with live.app.app_context():
        audited = list(records(AuditFilter(agency_id="training")))
    assert len(audited) == len(lookups)
    assert {record.reason for record in audited} == {"training"}
