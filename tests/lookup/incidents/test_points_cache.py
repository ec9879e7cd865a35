"""Cached answers and OFM assessments: an assessment recorded by any worker reaches the answers
of every worker on the same state store within the poll interval, and a failed read of the
store's assessment mark never lets a cached answer (with old points) through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lookup.answers import cache as answer_cache
from lookup.extensions import state_store
from lookup.store.base import StateStore, StoreUnavailable
from tests.factories import DIPLOMAT_ID, DIPLOMAT_LICENSE
from tests.lookup.answers.test_answer_cache import ask
from tests.lookup.conftest import AppFactory
from tests.lookup.store.test_incident_store_contract import points, report


def points_shown() -> Any:
    return ask("license", DIPLOMAT_LICENSE, None).body["matches"][0]["license"]["points"]


def assess(store: StateStore, incident_id: str, n: int) -> None:
    """What another worker's assessment leaves in the shared store (and nothing in this
    process: no bump)."""
    now = datetime.now(UTC)
    occurred = (now - timedelta(days=1)).isoformat()
    store.incidents.add(report(incident_id, occurred_at=occurred, person_id=DIPLOMAT_ID))
    store.incidents.replace(
        incident_id,
        report(incident_id, occurred_at=occurred, person_id=DIPLOMAT_ID, assessment=points(n, now)),
        expect_version=1,
    )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr("lookup.answers.cache.time.monotonic", lambda: now[0])
    return now


def test_another_worker_sees_new_points_within_the_poll_interval(
    make_app: AppFactory, clock: list[float]
) -> None:
    reader, writer = make_app(), make_app(publish=False)  # two workers, one data directory
    with reader.test_request_context():
        assert points_shown() == 0
    with writer.app_context():
        assess(state_store(), "IN-1", 5)
    with reader.test_request_context():
        assert points_shown() == 0  # within the interval: the documented delay
        clock[0] += answer_cache.GENERATION_POLL_SECONDS
        assert points_shown() == 5
        assert points_shown() == 5
        cache = answer_cache.app_cache()
    assert (cache.misses, cache.hits) == (2, 2)


def test_the_mark_is_read_at_most_once_per_interval(
    make_app: AppFactory, clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    with app.test_request_context():
        cache = answer_cache.app_cache()
        reads: list[str] = []
        source = cache.mark_source
        assert source is not None

        def counted() -> str:
            reads.append(source())
            return reads[-1]

        monkeypatch.setattr(cache, "mark_source", counted)
        for _ in range(3):
            points_shown()
        clock[0] += answer_cache.GENERATION_POLL_SECONDS
        points_shown()
    assert len(reads) == 2


def test_a_failed_mark_read_is_a_miss_not_a_stale_answer(
    make_app: AppFactory, clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    with app.test_request_context():
        assert points_shown() == 0
        cache = answer_cache.app_cache()
        assess(state_store(), "IN-1", 5)

        def down() -> str:
            raise StoreUnavailable("the incident index is unreachable")

        monkeypatch.setattr(cache, "mark_source", down)
        clock[0] += answer_cache.GENERATION_POLL_SECONDS
        before = (cache.hits, len(cache))
        assert points_shown() == 5  # read from the reports, not the cached 0
        assert points_shown() == 5  # and every time the mark cannot be read
        assert (cache.hits, len(cache)) == before  # neither served nor kept
