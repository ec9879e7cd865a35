"""Every lookup route refuses a caller without valid credentials (401) and audits the refusal."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lookup.audit.records import records
from lookup.extensions import state_store
from lookup.identity import accounts
from lookup.store.base import AuditFilter, AuditRecord, StateStore
from tests.lookup.conftest import AgencyKeys, AppFactory, bearer

LOOKUP_URLS = [
    "/api/v1/plates/DVL1234?reason=traffic_stop",
    "/api/v1/plates?pattern=DVL12*&reason=traffic_stop",
    "/api/v1/credentials/DA123456?reason=traffic_stop",
    "/api/v1/licenses/OFM100200?reason=traffic_stop",
    "/api/v1/persons?name=Ostrander&reason=traffic_stop",
]
PROTECTED_URLS = [*LOOKUP_URLS, "/api/v1/audit"]


def denied_records(app: Flask) -> list[AuditRecord]:
    with app.app_context():
        return list(records(AuditFilter(outcome="denied")))


@pytest.mark.parametrize("url", PROTECTED_URLS)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer dck_AAAAAAAA_" + "x" * 43},
        {"Authorization": "Bearer not-a-key"},
    ],
    ids=["none", "empty-bearer", "basic", "unknown-key", "malformed-key"],
)
def test_missing_or_bad_credentials_are_401(
    client: FlaskClient, url: str, headers: dict[str, str]
) -> None:
    response = client.get(url, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    error = response.get_json()["error"]
    assert error["code"] in ("missing_credentials", "invalid_credentials")
    assert "matches" not in response.get_json()


@pytest.mark.parametrize("url", LOOKUP_URLS)
def test_refused_lookup_is_audited_as_denied(app: Flask, client: FlaskClient, url: str) -> None:
    client.get(url, headers={"Authorization": "Bearer dck_AAAAAAAA_" + "x" * 43})
    [entry] = denied_records(app)
    assert entry.actor is None
    assert entry.agency_id is None
    assert entry.channel == "api"
    assert entry.reason == "traffic_stop"
    assert entry.detail["denied"] == "invalid_credentials"


@pytest.mark.parametrize("url", LOOKUP_URLS)
def test_revoked_key_is_refused_at_once_in_this_process(
    app: Flask, client: FlaskClient, metro: AgencyKeys, url: str
) -> None:
    assert client.get(url, headers=bearer(metro.officer_key)).status_code == 200
    with app.app_context():
        key = accounts.find_api_key(state_store(), metro.officer_key)
        assert key is not None
        accounts.revoke_api_key(state_store(), key)
    response = client.get(url, headers=bearer(metro.officer_key))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_credentials"


def test_revocation_elsewhere_is_honoured_once_the_cache_expires(
    make_app: AppFactory, metro: AgencyKeys
) -> None:
    # Another process (the CLI) marks the key revoked in the shared store; this app's cache is
    # not told, so only the cache lifetime bounds how long the key keeps working.
    app = make_app(apikey_cache_seconds=0)
    client = app.test_client()
    url = LOOKUP_URLS[0]
    assert client.get(url, headers=bearer(metro.officer_key)).status_code == 200
    with app.app_context():
        key = accounts.find_api_key(state_store(), metro.officer_key)
        assert key is not None
        state_store().update(accounts.API_KEYS, key.id, {"revoked_at": "2026-01-01T00:00:00Z"})
    assert client.get(url, headers=bearer(metro.officer_key)).status_code == 401


def test_cached_key_is_not_reread_from_the_store(
    app: Flask, client: FlaskClient, metro: AgencyKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = LOOKUP_URLS[0]
    assert client.get(url, headers=bearer(metro.officer_key)).status_code == 200
    calls: list[str] = []
    original = accounts.find_api_key_by_secret

    def counting(store: StateStore, key: str) -> accounts.ApiKey | None:
        calls.append(key)
        return original(store, key)

    monkeypatch.setattr(accounts, "find_api_key_by_secret", counting)
    assert client.get(url, headers=bearer(metro.officer_key)).status_code == 200
    assert calls == []


def test_public_routes_need_no_credentials(client: FlaskClient) -> None:
    for url in ("/api/v1/immunity-matrix", "/api/v1/openapi.json", "/healthz", "/readyz"):
        assert client.get(url).status_code == 200, url
