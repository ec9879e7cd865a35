"""Server-side web sessions over the real SQLite state store (lookup/identity/sessions.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lookup.identity import sessions
from lookup.identity.sessions import COLLECTION, Timeouts, create_session, load_session
from lookup.store.sqlite.store import SQLiteStateStore

START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
TIMEOUTS = Timeouts(idle=timedelta(minutes=30), absolute=timedelta(hours=12))


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStateStore:
    opened = SQLiteStateStore(tmp_path / "state.sqlite3")
    opened.ensure(sessions.SPECS)
    return opened


def _new(store: SQLiteStateStore, officer_id: str = "o1") -> tuple[str, sessions.WebSession]:
    return create_session(
        store,
        officer_id=officer_id,
        agency_id="a1",
        agency_name="Metro Police",
        role="officer",
        stage="active",
        now=START,
    )


def test_the_store_never_holds_the_cookie_value(store: SQLiteStateStore) -> None:
    cookie, session = _new(store)
    assert store.get(COLLECTION, cookie) is None
    stored = store.get(COLLECTION, session.key)
    assert stored is not None
    assert cookie not in str(stored.data)
    assert len(cookie) >= 40


def test_idle_timeout_is_refreshed_by_use(store: SQLiteStateStore) -> None:
    cookie, _ = _new(store)
    assert load_session(store, cookie, START + timedelta(minutes=20), TIMEOUTS) is not None
    assert load_session(store, cookie, START + timedelta(minutes=45), TIMEOUTS) is not None
    assert load_session(store, cookie, START + timedelta(minutes=76), TIMEOUTS) is None
    # Expired sessions are deleted, not just refused.
    assert store.find(COLLECTION, officer_id="o1") == []


def test_absolute_timeout_holds_however_busy(store: SQLiteStateStore) -> None:
    cookie, _ = _new(store)
    moment = START
    while moment - START < timedelta(hours=12):
        assert load_session(store, cookie, moment, TIMEOUTS) is not None
        moment += timedelta(minutes=20)
    assert load_session(store, cookie, START + timedelta(hours=12), TIMEOUTS) is None


def test_enrolment_sessions_last_ten_minutes(store: SQLiteStateStore) -> None:
    cookie, _ = create_session(
        store,
        officer_id="o1",
        agency_id="a1",
        agency_name="",
        role="officer",
        stage="enrol",
        now=START,
    )
    assert load_session(store, cookie, START + timedelta(minutes=9), TIMEOUTS) is not None
    assert load_session(store, cookie, START + timedelta(minutes=10), TIMEOUTS) is None


def test_ending_an_officers_sessions_leaves_others(store: SQLiteStateStore) -> None:
    first, _ = _new(store, "o1")
    second, _ = _new(store, "o1")
    other, _ = _new(store, "o2")
    assert sessions.end_officer_sessions(store, "o1") == 2
    assert load_session(store, first, START, TIMEOUTS) is None
    assert load_session(store, second, START, TIMEOUTS) is None
    assert load_session(store, other, START, TIMEOUTS) is not None


def test_remembered_reason_and_csrf(store: SQLiteStateStore) -> None:
    cookie, session = _new(store)
    sessions.remember_reason(store, session, "crash")
    loaded = load_session(store, cookie, START, TIMEOUTS)
    assert loaded is not None
    assert loaded.reason == "crash"
    assert sessions.csrf_matches(loaded, session.csrf_token)
    token = session.csrf_token
    assert not sessions.csrf_matches(loaded, token[:-1] + ("y" if token.endswith("x") else "x"))
    assert not sessions.csrf_matches(loaded, None)


def test_a_session_ended_elsewhere_is_simply_gone(store: SQLiteStateStore) -> None:
    cookie, session = _new(store)
    sessions.end_session(store, session.key)
    sessions.remember_reason(store, session, "crash")  # no error: nothing to remember
    assert load_session(store, cookie, START + timedelta(minutes=5), TIMEOUTS) is None


def test_prune_deletes_only_timed_out_sessions(store: SQLiteStateStore) -> None:
    old, _ = _new(store)
    later = START + timedelta(hours=1)
    fresh, _ = create_session(
        store,
        officer_id="o1",
        agency_id="a1",
        agency_name="",
        role="officer",
        stage="active",
        now=later,
    )
    assert sessions.prune_expired(store, "o1", later, TIMEOUTS) == 1
    assert load_session(store, fresh, later, TIMEOUTS) is not None
    assert len(store.find(COLLECTION, officer_id="o1")) == 1
    assert old != fresh
