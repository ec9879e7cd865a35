"""Retry-After comes only with 429 and 503, also on routes Flask-Limiter itself limits, and every
503 of the JSON API carries it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from lookup.extensions import state_store
from lookup.store.base import StoreUnavailable
from tests.lookup.conftest import AgencyKeys, AppFactory, bearer


def test_a_limited_page_says_retry_after_only_when_it_refuses(make_app: AppFactory) -> None:
    client = make_app(QR_RATELIMIT="2/minute").test_client()
    responses = [client.get("/v/not-a-token") for _ in range(3)]
    assert [r.status_code for r in responses][-1] == 429
    assert all("X-RateLimit-Limit" in r.headers for r in responses)
    assert ["Retry-After" in r.headers for r in responses] == [False, False, True]


def test_every_503_of_the_api_says_when_to_retry(
    app: Flask, monkeypatch: pytest.MonkeyPatch, metro: AgencyKeys
) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise StoreUnavailable("state store down")

    client = app.test_client()
    with app.app_context():
        monkeypatch.setattr(state_store(), "iter_audit", down)
    read = client.get("/api/v1/audit", headers=bearer(metro.supervisor_key))
    assert (read.status_code, read.get_json()["error"]["code"]) == (503, "unavailable")
    monkeypatch.undo()
    with app.app_context():
        monkeypatch.setattr(state_store(), "append_audit", down)
    refused = client.get("/api/v1/audit", headers=bearer(metro.supervisor_key))
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (
        503,
        "audit_unavailable",
    )
    lookup = client.get("/api/v1/plates/DVL1234?reason=crash", headers=bearer(metro.officer_key))
    assert lookup.status_code == 503
    assert [r.headers.get("Retry-After") for r in (read, refused)] == ["30", "30"]
    # A lookup's asks for at least as long, or until its allowance window resets if later.
    assert int(lookup.headers["Retry-After"]) >= 30
