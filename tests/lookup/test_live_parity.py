"""The whole app on a live Elasticsearch answers exactly as on SQLite.

The same demo data set is imported into an app on SQLite and into an app on the live cluster
(records and app state on Elasticsearch, as DIPCHECK_ELASTICSEARCH_URL sets up); then several
hundred lookups (every plate, look-alike plates, partial plates, ID cards, licences, names typed
with typos and in another word order, with and without filters) go through the JSON API, and
samples through the SMS webhook and the officer web page of both. The answers must be identical
except for what names the request itself: the audit reference and the publication time.
"""

from __future__ import annotations

import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from lookup import accounts, create_app
from lookup.cli_data import import_directory
from lookup.extensions import search_backend, state_store
from lookup.sms import phones
from search_index.demo_data import write_demo_data
from search_index.es_client import ClientOptions, connect
from search_index.importer import load_directory
from search_index.records import Dataset
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


@dataclass
class Deployment:
    app: Flask
    api_key: str
    phone: str
    officer: OfficerLogin


def deploy(data_dir: Path, demo: Path, elasticsearch_url: str | None) -> Deployment:
    backend_setting = {"elasticsearch_url": elasticsearch_url} if elasticsearch_url else {}
    app = create_app(
        data_dir=data_dir,
        secret_key="s" * 40,
        public_url=PUBLIC_URL,
        twilio_auth_token=AUTH_TOKEN,
        ratelimit_lookups=UNLIMITED,
        sms_ratelimit_phone=UNLIMITED,
        sms_ratelimit_all=UNLIMITED,
        TESTING=True,
        CLOCK=CLOCK,  # both apps at the same instant: pages print the time of the answer
        WEB_LOGIN_RATE=UNLIMITED,
        **backend_setting,
    )
    # A cluster shared between runs keeps app state: names and phones unique to this run.
    phone = f"+1571555{secrets.randbelow(10_000):04d}"
    with app.app_context():
        import_directory(search_backend(), demo)
        agency = accounts.create_agency(f"Parity Police {secrets.token_hex(4)}")
        _, key = accounts.create_api_key(agency, role="officer")
        officer = accounts.create_officer(
            agency,
            username=f"parity{secrets.token_hex(4)}",
            display_name="Parity",
            password=PASSWORD,
        )
        accounts.update_officer(officer, {"totp_enrolled_at": "2026-01-01T00:00:00+00:00"})
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
    sqlite = deploy(tmp_path_factory.mktemp("sqlite"), demo, None)
    live = deploy(tmp_path_factory.mktemp("es"), demo, url)
    try:
        yield sqlite, live
    finally:
        for deployment in (sqlite, live):
            with deployment.app.app_context():
                search_backend().close()
                state_store().close()
        drop_app_indices(url)


def _typo(word: str) -> str:
    """Two neighbouring letters swapped (one typo in the OSA distance the ranking uses)."""
    if len(word) < 4:
        return word
    return word[:1] + word[2] + word[1] + word[3:]


def api_paths(dataset: Dataset) -> list[str]:
    reason = "reason=traffic_stop"
    paths = [f"/api/v1/plates/{quote(v.plate)}?{reason}" for v in dataset.vehicles]
    for v in dataset.vehicles[::4]:
        paths.append(f"/api/v1/plates/{quote(v.plate.translate(LOOK_ALIKE))}?{reason}")
    for v in dataset.vehicles[::8]:
        for pattern in (v.plate[:4] + "*", "?" + v.plate[1:], v.plate[:2] + "?" + v.plate[3:]):
            paths.append("/api/v1/plates?" + urlencode({"pattern": pattern, "reason": "crash"}))
    persons = dataset.persons[::12]
    for p in persons:
        if p.credential_number:
            paths.append(f"/api/v1/credentials/{quote(p.credential_number)}?{reason}")
    for lic in dataset.licenses[::5]:
        paths.append(f"/api/v1/licenses/{quote(lic.license_number)}?{reason}")
    countries = {m.mission_id: m.country for m in dataset.missions}
    for n, p in enumerate(persons):
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


def test_every_api_answer_is_the_same_on_elasticsearch_as_on_sqlite(
    pair: tuple[Deployment, Deployment], demo: Path
) -> None:
    sqlite, live = pair
    paths = api_paths(load_directory(demo))
    assert len(paths) > 400
    a, b = sqlite.app.test_client(), live.app.test_client()
    kinds: dict[str, int] = {}
    for path in paths:
        one = a.get(path, headers=bearer(sqlite.api_key))
        other = b.get(path, headers=bearer(live.api_key))
        assert one.status_code == 200, (path, one.get_json())
        assert other.status_code == 200, (path, other.get_json())
        assert comparable(other.get_json()) == comparable(one.get_json()), path
        found = "match" if one.get_json()["matches"] else "empty"
        kinds[found] = kinds.get(found, 0) + 1
    # The sample exercises both outcomes, not only one.
    assert kinds["match"] > 300
    assert kinds["empty"] > 0


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
