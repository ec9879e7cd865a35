"""Retry-After comes only with 429 and 503, also on routes Flask-Limiter itself limits."""

from __future__ import annotations

from tests.lookup.conftest import AppFactory


def test_a_limited_page_says_retry_after_only_when_it_refuses(make_app: AppFactory) -> None:
    client = make_app(QR_RATELIMIT="2/minute").test_client()
    responses = [client.get("/v/not-a-token") for _ in range(3)]
    assert [r.status_code for r in responses][-1] == 429
    assert all("X-RateLimit-Limit" in r.headers for r in responses)
    assert ["Retry-After" in r.headers for r in responses] == [False, False, True]
