"""The lockout rule: five failures inside fifteen minutes lock; older ones age out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lookup.identity.lockout import (
    MAX_FAILURES,
    WINDOW,
    recent_failures,
    register_failure,
    window_full,
)

START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_fifth_failure_inside_the_window_locks() -> None:
    failures: tuple[datetime, ...] = ()
    for minute in range(4):
        outcome = register_failure(failures, START + timedelta(minutes=minute * 3))
        assert not outcome.locks
        failures = outcome.recent
    assert register_failure(failures, START + timedelta(minutes=14)).locks


def test_failures_older_than_the_window_age_out() -> None:
    failures = tuple(START + timedelta(minutes=m) for m in range(4))
    later = START + timedelta(minutes=15)
    outcome = register_failure(failures, later)
    assert not outcome.locks
    assert outcome.recent == (*failures[1:], later)


@given(st.lists(st.integers(min_value=0, max_value=3600), max_size=12))
def test_locks_exactly_when_the_window_holds_enough_failures(offsets: list[int]) -> None:
    failures = tuple(START + timedelta(seconds=s) for s in sorted(offsets))
    now = START + timedelta(seconds=3600)
    outcome = register_failure(failures, now)
    inside = [at for at in failures if now - at < WINDOW]
    assert outcome.recent == (*inside, now)
    assert outcome.locks == (len(inside) + 1 >= MAX_FAILURES)
    assert recent_failures(outcome.recent, now) == outcome.recent


def test_the_window_is_full_at_the_fifth_failure_inside_it() -> None:
    start = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    failures = [start + timedelta(minutes=minute) for minute in range(4)]
    assert not window_full(failures, start + timedelta(minutes=5))
    assert window_full([*failures, start + timedelta(minutes=5)], start + timedelta(minutes=5))
    # Fifteen minutes after the first failure it has aged out: the window is no longer full.
    five = [*failures, start + timedelta(minutes=5)]
    assert not window_full(five, start + WINDOW)
