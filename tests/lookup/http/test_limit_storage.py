"""The in-process rate-limit storage counts like limits' own and never starts timer threads."""

from __future__ import annotations

import threading

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from lookup.http.rate_limits import SweepingMemoryStorage, limiter_storage_uri


def test_memory_uri_selects_this_storage() -> None:
    assert limiter_storage_uri("memory://") == "dipcheck-memory://"
    assert limiter_storage_uri("redis://cache:6379") == "redis://cache:6379"
    assert isinstance(storage_from_string("dipcheck-memory://"), SweepingMemoryStorage)


def test_moving_window_limits_and_starts_no_threads() -> None:
    storage = SweepingMemoryStorage()
    limiter = MovingWindowRateLimiter(storage)
    three = parse("3/minute")
    before = threading.active_count()
    assert [limiter.hit(three, "apikey:a") for _ in range(5)] == [True, True, True, False, False]
    assert limiter.hit(three, "apikey:b")
    assert threading.active_count() <= before
    assert len(storage.events[three.key_for("apikey:a")]) == 3  # never more than the limit


def test_old_entries_expire_and_are_swept(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = {"wall": 1_000_000.0, "mono": 50.0}
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: clock["wall"])
    monkeypatch.setattr("lookup.http.rate_limits.time.monotonic", lambda: clock["mono"])
    storage = SweepingMemoryStorage()
    limiter = MovingWindowRateLimiter(storage)
    two = parse("2/second")
    assert limiter.hit(two, "k")
    assert limiter.hit(two, "k")
    assert not limiter.hit(two, "k")
    clock["wall"] += 1.5
    clock["mono"] += 1.5
    assert limiter.hit(two, "k")  # the window moved on; this hit also sweeps
    assert limiter.hit(two, "gone")
    clock["wall"] += 5
    clock["mono"] += 5
    limiter.hit(two, "k")
    assert two.key_for("gone") not in storage.events
