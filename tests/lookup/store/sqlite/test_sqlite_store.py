"""What the SQLite state store guarantees beyond the shared StateStore contract suite:
durability settings, an audit table that cannot be rewritten, and safe use from threads and
forked workers."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lookup.store.base import (
    AuditFilter,
    AuditRecord,
    CollectionSpec,
    DuplicateKey,
    StoreUnavailable,
    VersionConflict,
)
from lookup.store.sqlite.store import SQLiteStateStore

PEOPLE = CollectionSpec("people", unique=("badge",), indexed=("unit",))


def entry(reference: str, at: datetime | None = None, **overrides: object) -> AuditRecord:
    values: dict[str, object] = {
        "reference": reference,
        "at": at or datetime(2026, 11, 24, 6, 0, tzinfo=UTC),
        "agency_id": "a-1",
        "actor": "apikey:k-1",
        "channel": "api",
        "action": "plate",
        "query": "DVL1234",
        "reason": "crash",
        "outcome": "match",
        "client": "10.0.0.1",
    } | overrides
    return AuditRecord(**values)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStateStore:
    created = SQLiteStateStore(tmp_path / "state.sqlite3")
    created.ensure([PEOPLE])
    return created


def test_connections_use_wal_and_full_sync(store: SQLiteStateStore) -> None:
    connection = store._connection()
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_audit_rows_cannot_be_changed_or_removed(store: SQLiteStateStore, tmp_path: Path) -> None:
    store.append_audit(entry("DC-00000-00001"))
    # A read inserts the journaled record into the table (it may wait there for its batch).
    assert [r.outcome for r in store.iter_audit(AuditFilter())] == ["match"]
    raw = sqlite3.connect(tmp_path / "state.sqlite3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("UPDATE audit SET outcome = 'no_match'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("DELETE FROM audit")
    raw.close()
    assert [r.outcome for r in store.iter_audit(AuditFilter())] == ["match"]


def test_duplicate_reference_is_refused(store: SQLiteStateStore) -> None:
    store.append_audit(entry("DC-00000-00001"))
    with pytest.raises(DuplicateKey):
        store.append_audit(entry("DC-00000-00001"))


def _append_and_die(path: str) -> None:
    SQLiteStateStore(Path(path)).append_audit(entry("DC-KILLD-00001"))
    os._exit(0)  # no clean shutdown: what append_audit acknowledged must already be on disk


def test_acknowledged_audit_record_survives_an_abrupt_exit(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    process = multiprocessing.get_context("fork").Process(target=_append_and_die, args=(path,))
    process.start()
    process.join(timeout=30)
    assert process.exitcode == 0
    assert [r.reference for r in SQLiteStateStore(path).iter_audit(AuditFilter())] == [
        "DC-KILLD-00001"
    ]


def _insert_in_child(store: SQLiteStateStore) -> None:
    store.insert("people", {"badge": "child", "unit": "fork"})
    os._exit(0)


def test_a_forked_worker_opens_its_own_connection(store: SQLiteStateStore) -> None:
    store.insert("people", {"badge": "parent", "unit": "fork"})  # the parent's connection exists
    process = multiprocessing.get_context("fork").Process(target=_insert_in_child, args=(store,))
    process.start()
    process.join(timeout=30)
    assert process.exitcode == 0
    assert {s.data["badge"] for s in store.find("people", unit="fork")} == {"parent", "child"}


def test_threads_write_concurrently(store: SQLiteStateStore) -> None:
    def work(worker: int) -> None:
        for n in range(20):
            store.insert("people", {"badge": f"{worker}-{n}", "unit": "threads"})
            store.append_audit(entry(f"DC-T{worker:04d}-{n:05d}"))

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.find("people", unit="threads")) == 80
    assert len(list(store.iter_audit(AuditFilter()))) == 80


def test_unique_clash_names_the_field(store: SQLiteStateStore) -> None:
    first = store.insert("people", {"badge": "b-1", "unit": "u"})
    second = store.insert("people", {"badge": "b-2", "unit": "u"})
    with pytest.raises(DuplicateKey) as raised:
        store.insert("people", {"badge": "b-1"})
    assert raised.value.field_name == "badge"
    with pytest.raises(DuplicateKey):
        store.update("people", second.id, {"badge": "b-1"})
    assert store.get("people", first.id) == first


def test_versions_and_missing_documents(store: SQLiteStateStore) -> None:
    stored = store.insert("people", {"badge": "b-1", "active": True, "note": None})
    updated = store.update("people", stored.id, {"active": False}, expect_version=1)
    assert updated.version == 2
    with pytest.raises(VersionConflict):
        store.update("people", stored.id, {"active": True}, expect_version=1)
    with pytest.raises(KeyError):
        store.update("people", "missing", {})
    assert [s.id for s in store.find("people", active=False, note=None)] == [stored.id]
    assert store.delete("people", stored.id) is True
    assert store.delete("people", stored.id) is False


def test_audit_filters_order_and_limit(store: SQLiteStateStore) -> None:
    start = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    for n in range(6):
        store.append_audit(
            entry(
                f"DC-00000-0000{n}",
                at=start + timedelta(milliseconds=n),
                agency_id="a-1" if n % 2 else "a-2",
                outcome="no_match" if n == 5 else "match",
            )
        )
    newest = [r.reference for r in store.iter_audit(AuditFilter(agency_id="a-1"))]
    assert newest == ["DC-00000-00005", "DC-00000-00003", "DC-00000-00001"]
    window = AuditFilter(
        since=start + timedelta(milliseconds=1), until=start + timedelta(milliseconds=3)
    )
    assert [r.reference for r in store.iter_audit(window)] == ["DC-00000-00002", "DC-00000-00001"]
    assert [r.outcome for r in store.iter_audit(AuditFilter(outcome="no_match"))] == ["no_match"]
    assert len(list(store.iter_audit(AuditFilter(limit=2)))) == 2
    first = next(store.iter_audit(AuditFilter(limit=1)))
    assert first.at == start + timedelta(milliseconds=5)


def test_audit_by_reference_is_one_index_probe(
    store: SQLiteStateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        store.append_audit(entry(f"DC-00000-0000{n}"))
    statements: list[str] = []
    connect = store._connect

    def traced() -> sqlite3.Connection:
        connection = connect()
        connection.set_trace_callback(statements.append)  # SQL with its parameters bound
        return connection

    monkeypatch.setattr(store, "_connect", traced)
    wanted = AuditFilter(reference="DC-00000-00001", agency_id="a-1")
    assert [r.reference for r in store.iter_audit(wanted)] == ["DC-00000-00001"]
    (select,) = [sql for sql in statements if sql.startswith("SELECT")]
    plan = " ".join(row[3] for row in store._read(f"EXPLAIN QUERY PLAN {select}"))
    assert "(reference=?)" in plan, plan


def test_an_unopenable_store_is_unavailable(tmp_path: Path) -> None:
    directory = tmp_path / "is-a-directory"
    directory.mkdir()
    broken = SQLiteStateStore(directory)
    with pytest.raises(StoreUnavailable):
        broken.ping()
    with pytest.raises(StoreUnavailable):
        broken.append_audit(entry("DC-00000-00009"))


def test_find_matches_text_holding_a_nul(store: SQLiteStateStore) -> None:
    # json_extract would cut these at the NUL and confuse them with each other and with "a".
    first = store.insert("people", {"badge": "n-1", "note": "a\x00b"})
    store.insert("people", {"badge": "n-2", "note": "a\x00c"})
    store.insert("people", {"badge": "n-3", "note": "a"})
    assert [s.id for s in store.find("people", note="a\x00b")] == [first.id]
    assert [s.data["badge"] for s in store.find("people", note="a")] == ["n-3"]
