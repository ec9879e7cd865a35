"""The lookup allowance counts each lookup with one pass over the limiter's strategy, sets the
same headers Flask-Limiter set, and hands over to Flask-Limiter's in-memory fallback when the
storage fails. Flask-Limiter's per-request hook is gone unless a configured limit needs it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from flask import Flask

from lookup.extensions import services
from lookup.http.rate_limits import limiter
from search_index.backend import BackendUnavailable, Snapshot
from tests.lookup.conftest import AgencyKeys, AppFactory, agency_with_keys, bearer

PLATE_URL = "/api/v1/plates/DVL1234?reason=traffic_stop"


def limited(make_app: AppFactory, value: str, **config: Any) -> tuple[Flask, AgencyKeys]:
    app = make_app(ratelimit_lookups=value, **config)
    return app, agency_with_keys(app, "Metro Police")


def counting(calls: list[str], name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return method(*args, **kwargs)

    return counted


def test_a_lookup_costs_one_hit_per_limit_and_one_window_read(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, metro = limited(make_app, "100/minute;1000/hour")
    strategy = limiter.limiter
    calls: list[str] = []
    for name in ("hit", "test", "get_window_stats"):
        monkeypatch.setattr(strategy, name, counting(calls, name, getattr(strategy, name)))
    response = app.test_client().get(PLATE_URL, headers=bearer(metro.officer_key))
    assert response.status_code == 200
    assert calls == ["hit", "hit", "get_window_stats"]


def test_headers_describe_the_shortest_window_then_the_exceeded_one(
    make_app: AppFactory,
) -> None:
    app, metro = limited(make_app, "3/hour;2/minute")
    client = app.test_client()
    url = "/api/v1/credentials/DA123456?reason=crash"
    responses = [client.get(url, headers=bearer(metro.officer_key)) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert [r.headers["X-RateLimit-Limit"] for r in responses] == ["2", "2", "2"]
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["1", "0", "0"]
    now = time.time()
    for response in responses:
        assert now < int(response.headers["X-RateLimit-Reset"]) <= now + 62
    # Only the refusal says when to come back.
    assert ["Retry-After" in r.headers for r in responses] == [False, False, True]
    assert 55 <= int(responses[2].headers["Retry-After"]) <= 61
    assert responses[2].get_json()["error"]["message"] == (
        "too many lookups (2 per 1 minute); retry later"
    )
    # The minute's refusal did not use up the hour: its shorter limit stopped the count.
    assert client.get(url, headers=bearer(metro.supervisor_key)).status_code == 200


def _raise_unavailable() -> AbstractContextManager[Snapshot]:
    raise BackendUnavailable("connection refused")


@pytest.mark.parametrize(
    ("value", "lowest", "highest"), [("3/second", 29, 30), ("3/minute", 59, 61)]
)
def test_an_answer_with_its_own_retry_after_keeps_the_later_time(
    make_app: AppFactory,
    monkeypatch: pytest.MonkeyPatch,
    value: str,
    lowest: int,
    highest: int,
) -> None:
    app, metro = limited(make_app, value)
    with app.app_context():
        monkeypatch.setattr(services().backend, "snapshot", _raise_unavailable)
    response = app.test_client().get(PLATE_URL, headers=bearer(metro.officer_key))
    assert response.status_code == 503  # which asks for 30 s; a minute's window resets later
    assert lowest <= int(response.headers["Retry-After"]) <= highest
    assert response.headers["X-RateLimit-Remaining"] == "2"


def test_a_disabled_limiter_neither_counts_nor_sets_headers(make_app: AppFactory) -> None:
    app, metro = limited(make_app, "1/minute", RATELIMIT_ENABLED=False)
    client = app.test_client()
    responses = [client.get(PLATE_URL, headers=bearer(metro.officer_key)) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert not any("X-RateLimit-Limit" in r.headers for r in responses)


@pytest.fixture
def failing_storage(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """`break_storage()` makes the app's limiter storage fail like an unreachable Redis."""

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("storage unreachable")

    def break_storage() -> None:
        for name in ("acquire_entry", "get_moving_window", "incr", "get"):
            monkeypatch.setattr(limiter.storage, name, unreachable)
        monkeypatch.setattr(limiter.storage, "check", lambda: False)

    yield break_storage
    # The limiter is one object for every app of the process: leave it on its own storage.
    limiter._storage_dead = False


def test_a_failing_storage_falls_back_to_counting_in_memory(
    make_app: AppFactory, failing_storage: Callable[[], None]
) -> None:
    app, metro = limited(make_app, "2/minute")
    client = app.test_client()
    failing_storage()
    responses = [client.get(PLATE_URL, headers=bearer(metro.officer_key)) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert limiter.limiter.storage is not limiter.storage  # Flask-Limiter's fallback counts
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["1", "0", "0"]
    assert ["Retry-After" in r.headers for r in responses] == [False, False, True]
    assert int(responses[2].headers["Retry-After"]) > 0


def test_flask_limiters_request_hook_is_dropped_when_no_limit_needs_it(
    make_app: AppFactory,
) -> None:
    app = make_app()
    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])
    # The hook would be needed by a limit on a whole blueprint: none may appear.
    for name in app.blueprints:
        assert limiter.limit_manager.blueprint_limits(app, name) == [], name


def test_a_configured_default_limit_keeps_the_hook_and_applies(make_app: AppFactory) -> None:
    try:
        app = make_app(RATELIMIT_DEFAULT="2/minute")
        assert limiter._check_request_limit in app.before_request_funcs[None]
        client = app.test_client()
        statuses = [client.get("/api/v1/immunity-matrix").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
    finally:  # the limiter keeps default limits across apps; later apps set none
        limiter.limit_manager.set_default_limits([])
