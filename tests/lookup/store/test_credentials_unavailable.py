"""When the state store cannot say who is asking (Elasticsearch down once the API-key cache has
expired, a web session that cannot be read, an SMS sender that cannot be looked up), every
channel answers "cannot verify now" with 503, never 500 nor an empty answer.

The app runs on Elasticsearch through the real client over the in-memory fake node; only the
app-state indices (API keys, web sessions, phones) fail, the records and the audit log answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from lookup import create_app
from lookup.extensions import search_backend, state_store
from lookup.identity import accounts, phones
from lookup.identity.key_cache import clear_cache
from lookup.qr.documents import issue
from lookup.qr.key_ring import keystore
from tests.factories import DIPLOMAT_CREDENTIAL, DIPLOMAT_PLATE, small_dataset
from tests.lookup.sms.conftest import AUTH_TOKEN, OFFICER_PHONE, PUBLIC_URL, SmsEnv, reply_text
from tests.lookup.web.conftest import make_officer, sign_in
from tests.search_index.elasticsearch.es_fakes import FakeCluster

STATE = r"^/dipcheck-state-"  # every app-state index; the audit index is dipcheck-audit
PHONE = "(571) 345-3146"  # the default 24/7 number


@dataclass
class Channels:
    app: Flask
    cluster: FakeCluster
    api_key: str
    token: str

    def state_down(self) -> None:
        self.cluster.fail("*", STATE, "refused", times=10_000)

    def state_back(self) -> None:
        self.cluster.faults.clear()


@pytest.fixture
def channels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Channels]:
    monkeypatch.delenv("DIPCHECK_ELASTICSEARCH_URL", raising=False)
    clear_cache()
    cluster = FakeCluster()
    app = create_app(
        data_dir=tmp_path / "data",
        elasticsearch_url="http://es.internal:9200",
        ELASTICSEARCH_NODE_CLASS=cluster.node_class(),
        secret_key="s" * 40,
        public_url=PUBLIC_URL,
        twilio_auth_token=AUTH_TOKEN,
        apikey_cache_seconds=0,  # as once the 5-second cache has expired
        TESTING=True,
    )
    with app.app_context():
        search_backend().publish(small_dataset())
        agency = accounts.create_agency(state_store(), "Metro Police")
        _, api_key = accounts.create_api_key(state_store(), agency)
        officer = accounts.create_officer(
            state_store(),
            agency,
            username="smsuser",
            display_name="Sms",
            password="correct-horse-9",
        )
        phones.enrol(
            state_store(),
            phones.phone_hash(app.secret_key or "", OFFICER_PHONE),
            officer_id=officer.id,
            agency_id=agency.id,
        )
        signer = keystore()
        signer.create(now=datetime.now(UTC) - timedelta(days=1))
        with search_backend().snapshot() as snapshot:
            token = issue(
                snapshot, "credential", DIPLOMAT_CREDENTIAL, signer.signer(), zone=UTC
            ).token
    yield Channels(app, cluster, api_key, token)
    clear_cache()


def test_api_lookup_answers_503_cannot_verify(channels: Channels) -> None:
    client = channels.app.test_client()
    url = f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=traffic_stop"
    headers = {"Authorization": f"Bearer {channels.api_key}"}
    assert client.get(url, headers=headers).status_code == 200
    channels.state_down()
    response = client.get(url, headers=headers)
    assert response.status_code == 503
    assert response.get_json() == {
        "error": {"code": "cannot_verify", "message": f"cannot verify now, call {PHONE}"}
    }
    assert response.headers["Retry-After"] == "30"
    channels.state_back()
    assert client.get(url, headers=headers).status_code == 200


def test_web_lookup_answers_503_cannot_verify(channels: Channels) -> None:
    from tests.lookup.web.conftest import Clock

    clock = Clock()
    channels.app.config["CLOCK"] = clock
    who = make_officer(channels.app, "webuser")
    client = channels.app.test_client()
    assert sign_in(client, who, clock).status_code == 303
    url = f"/lookup?q={DIPLOMAT_PLATE}&reason=traffic_stop"
    assert client.get(url).status_code == 200
    channels.state_down()
    for path in (url, "/"):
        page = client.get(path)
        assert page.status_code == 503, path
        text = page.get_data(as_text=True)
        assert "Cannot verify now" in text
        assert PHONE in text
    channels.state_back()
    assert client.get(url).status_code == 200


def test_qr_scan_by_a_signed_in_caller_answers_503(channels: Channels) -> None:
    client = channels.app.test_client()
    url = f"/v/{channels.token}"
    headers = {"Authorization": f"Bearer {channels.api_key}", "Accept": "application/json"}
    assert client.get(url, headers=headers).status_code == 200
    channels.state_down()
    response = client.get(url, headers=headers)
    assert response.status_code == 503
    # The scan page's own answers, as for any other failure of a scan: never the bare 503.
    assert response.get_json()["result"] == "unavailable"
    assert response.get_json()["code"] == "QR-CREDENTIALS-UNAVAILABLE"
    page = client.get(url, headers={"Authorization": f"Bearer {channels.api_key}"})
    assert page.status_code == 503
    assert "Cannot verify now" in page.get_data(as_text=True)
    assert PHONE in page.get_data(as_text=True)


def test_sms_lookup_answers_cannot_verify(channels: Channels) -> None:
    sms = SmsEnv(channels.app, channels.app.test_client())
    assert DIPLOMAT_PLATE.replace("-", "") in (reply_text(sms.text(f"P {DIPLOMAT_PLATE}")) or "")
    channels.state_down()
    # Twilio delivers a reply only from a 200 answer: the officer gets the "call" line.
    reply = reply_text(sms.text(f"P {DIPLOMAT_PLATE}"))
    assert reply is not None
    assert "3453146" in reply.replace("-", "").replace(" ", "").replace("(", "").replace(")", "")
