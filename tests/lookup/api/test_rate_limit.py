"""Lookups are limited per API key; a refusal is JSON 429 with Retry-After, and audited."""

from __future__ import annotations

from flask import Flask

from lookup.audit.records import records
from lookup.store.base import AuditFilter
from tests.lookup.conftest import AgencyKeys, AppFactory, agency_with_keys, bearer

PLATE_URL = "/api/v1/plates/DVL1234?reason=traffic_stop"


def limited_app(make_app: AppFactory) -> tuple[Flask, AgencyKeys, AgencyKeys]:
    app = make_app(ratelimit_lookups="3/minute")
    return app, agency_with_keys(app, "Metro Police"), agency_with_keys(app, "County Sheriff")


def test_fourth_lookup_in_a_minute_is_429(make_app: AppFactory) -> None:
    app, metro, _ = limited_app(make_app)
    client = app.test_client()
    statuses = [
        client.get(PLATE_URL, headers=bearer(metro.officer_key)).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 200]
    response = client.get(PLATE_URL, headers=bearer(metro.officer_key))
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    error = response.get_json()["error"]
    assert error["code"] == "rate_limited"
    with app.app_context():
        denied = list(records(AuditFilter(agency_id=metro.agency.id, outcome="denied")))
    assert [entry.detail["denied"] for entry in denied] == ["rate_limited"]


def test_the_allowance_is_shared_by_all_lookup_routes(make_app: AppFactory) -> None:
    app, metro, _ = limited_app(make_app)
    client = app.test_client()
    headers = bearer(metro.officer_key)
    client.get(PLATE_URL, headers=headers)
    client.get("/api/v1/credentials/DA123456?reason=crash", headers=headers)
    client.get("/api/v1/persons?name=Ostrander&reason=crash", headers=headers)
    assert client.get("/api/v1/licenses/OFM100200?reason=crash", headers=headers).status_code == 429


def test_each_key_has_its_own_allowance(make_app: AppFactory) -> None:
    app, metro, county = limited_app(make_app)
    client = app.test_client()
    for _ in range(3):
        client.get(PLATE_URL, headers=bearer(metro.officer_key))
    assert client.get(PLATE_URL, headers=bearer(metro.officer_key)).status_code == 429
    assert client.get(PLATE_URL, headers=bearer(metro.supervisor_key)).status_code == 200
    assert client.get(PLATE_URL, headers=bearer(county.officer_key)).status_code == 200


def test_public_routes_are_not_counted(make_app: AppFactory) -> None:
    app, metro, _ = limited_app(make_app)
    client = app.test_client()
    for _ in range(5):
        assert client.get("/api/v1/immunity-matrix").status_code == 200
        assert client.get("/healthz").status_code == 200
    assert client.get(PLATE_URL, headers=bearer(metro.officer_key)).status_code == 200


def test_successful_lookups_carry_rate_limit_headers(make_app: AppFactory) -> None:
    app, metro, _ = limited_app(make_app)
    response = app.test_client().get(PLATE_URL, headers=bearer(metro.officer_key))
    assert response.headers["X-RateLimit-Limit"] == "3"
    assert response.headers["X-RateLimit-Remaining"] == "2"
