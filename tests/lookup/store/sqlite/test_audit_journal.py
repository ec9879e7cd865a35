"""The SQLite store's audit journal: every acknowledged record is synced to the writing process's
journal, rows SQLite lost are replayed from the journals of processes that have gone, a live
writer's journal is never touched by another, a journal is emptied once SQLite is synced, and the
zeros a file is created with are never read as rows."""

from __future__ import annotations

import logging
import multiprocessing
import os
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookup.store.base import AuditFilter, AuditRecord, DuplicateKey, StoreUnavailable
from lookup.store.sqlite.audit_journal import ROW_FIELDS, decode_lines, encode, unflushed_tail
from lookup.store.sqlite.store import _AUDIT_SCHEMA, JOURNAL_SUFFIX, SQLiteStateStore

AT = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def entry(reference: str, offset_ms: int = 0) -> AuditRecord:
    return AuditRecord(
        reference=reference,
        at=AT + timedelta(milliseconds=offset_ms),
        agency_id="a-1",
        actor="apikey:k-1",
        channel="api",
        action="plate",
        query="DVL1234",
        reason="crash",
        outcome="match",
        client="10.0.0.1",
        detail={"request_id": "r-1"},
    )


def row(reference: str, offset_ms: int = 0) -> tuple[object, ...]:
    """The journal row of `entry(reference, offset_ms)`, as append_audit writes it."""
    at_ms = int((AT + timedelta(milliseconds=offset_ms)).timestamp() * 1000)
    detail = '{"request_id":"r-1"}'
    return (reference, at_ms, "a-1", "apikey:k-1", "api", "plate", "DVL1234", "crash", "match",
            "10.0.0.1", detail, None)  # fmt: skip


def journals(path: Path) -> list[Path]:
    return sorted(path.with_name(path.name + JOURNAL_SUFFIX).glob("*.jsonl"))


def references(store: SQLiteStateStore) -> list[str]:
    return sorted(r.reference for r in store.iter_audit(AuditFilter()))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state.sqlite3"


def test_each_record_is_committed_unsynced_and_journaled(path: Path) -> None:
    store = SQLiteStateStore(path)
    store.append_audit(entry("DC-00000-00001"))
    assert store._audit_connection().execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert store._connection().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    (journal,) = journals(path)
    assert list(decode_lines(journal.read_bytes())) == [row("DC-00000-00001")]
    assert references(store) == ["DC-00000-00001"]


def test_rows_sqlite_lost_are_replayed_from_a_gone_process_journal(path: Path) -> None:
    kept = SQLiteStateStore(path)
    kept.append_audit(entry("DC-00000-00001"))
    kept.close()  # its process "has gone": the journal is no longer held
    (journal,) = journals(path)
    # As after a power loss: SQLite kept the first row, lost the second; the third line was cut
    # short by the crash (never acknowledged) and a stray line holds no row.
    lost = encode(row("DC-00000-00002", 1))
    written = journal.read_bytes().rstrip(b"\0")
    journal.write_bytes(written + lost + b'["not a row"]\n' + lost[:40])

    reopened = SQLiteStateStore(path)
    assert references(reopened) == ["DC-00000-00001", "DC-00000-00002"]
    assert journals(path) == []  # replayed, synced and removed
    (replayed,) = reopened.iter_audit(AuditFilter(reference="DC-00000-00002"))
    assert replayed == entry("DC-00000-00002", 1)


def test_a_live_writers_journal_is_left_alone(path: Path) -> None:
    writer = SQLiteStateStore(path)
    writer.append_audit(entry("DC-00000-00001"))
    (journal,) = journals(path)
    reader = SQLiteStateStore(path)
    assert references(reader) == ["DC-00000-00001"]
    reader.append_audit(entry("DC-00000-00002"))
    assert journal in journals(path)
    assert len(journals(path)) == 2
    writer.append_audit(entry("DC-00000-00003"))
    assert len(list(decode_lines(journal.read_bytes()))) == 2


def test_a_journal_is_emptied_once_sqlite_is_synced(path: Path) -> None:
    store = SQLiteStateStore(path, journal_rotate_bytes=1500)
    line = len(encode(row("DC-00000-00000")))
    for n in range(40):
        store.append_audit(entry(f"DC-00000-{n:05d}", n))
    (journal,) = journals(path)
    assert len(journal.read_bytes().rstrip(b"\0")) < 1500 + line
    assert len(list(decode_lines(journal.read_bytes()))) < 40
    assert len(references(store)) == 40
    store.close()
    assert len(references(SQLiteStateStore(path))) == 40


def test_a_failed_sync_keeps_the_journal_and_the_record(
    path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = SQLiteStateStore(path, journal_rotate_bytes=1)

    def disk_error() -> None:
        raise StoreUnavailable("audit log not synced: disk I/O error")

    monkeypatch.setattr(store, "_make_durable", disk_error)
    with caplog.at_level(logging.WARNING):
        store.append_audit(entry("DC-00000-00001"))  # durable in the journal: acknowledged
    assert "audit journal not emptied" in caplog.text
    assert "DVL1234" not in caplog.text
    (journal,) = journals(path)
    assert [r[0] for r in decode_lines(journal.read_bytes())] == ["DC-00000-00001"]
    monkeypatch.undo()
    store.append_audit(entry("DC-00000-00002"))  # the next record retries and empties it
    assert journal.read_bytes().strip(b"\0") == b""


def test_an_unwritable_journal_refuses_the_record(path: Path) -> None:
    path.with_name(path.name + JOURNAL_SUFFIX).write_text("not a directory", encoding="utf-8")
    store = SQLiteStateStore(path)
    with pytest.raises(StoreUnavailable, match="journal"):
        store.append_audit(entry("DC-00000-00001"))


def _append_many(path: str, worker: int) -> None:
    store = SQLiteStateStore(Path(path))
    for n in range(150):
        store.append_audit(entry(f"DC-W{worker:04d}-{n:05d}", n))
    os._exit(0)  # no clean shutdown: the journal stays behind, unheld


def test_two_processes_write_side_by_side_and_nothing_is_lost(path: Path) -> None:
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(path, w)) for w in (1, 2)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert len(journals(path)) == 2
    store = SQLiteStateStore(path)
    assert len(set(references(store))) == 300
    assert journals(path) == []


@given(st.binary(max_size=400))
def test_any_journal_bytes_yield_only_whole_rows(data: bytes) -> None:
    for decoded in decode_lines(data):
        assert len(decoded) == ROW_FIELDS


text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=30)


@given(st.tuples(text, st.integers(0, 2**53), st.none() | text, *[st.none() | text] * 9))
def test_a_row_comes_back_from_its_line(written: tuple[object, ...]) -> None:
    assert list(decode_lines(encode(written))) == [written]


def test_a_row_journaled_before_on_behalf_of_existed_replays_without_it() -> None:
    older = row("DC-00000-00001")[:-1]
    assert list(decode_lines(encode(older))) == [(*older, None)]


def test_an_audit_table_from_before_on_behalf_of_gains_the_column(path: Path) -> None:
    old_schema = _AUDIT_SCHEMA.replace(",\n    on_behalf_of TEXT", "")
    assert "on_behalf_of" not in old_schema
    with sqlite3.connect(path) as connection:
        connection.executescript(old_schema)
        connection.execute(
            "INSERT INTO audit (reference, at_ms, agency_id, actor, channel, action, query,"
            " reason, outcome, client, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row("DC-00000-00001")[:-1],
        )
    connection.close()
    store = SQLiteStateStore(path)
    store.append_audit(replace(entry("DC-00000-00002", 1), on_behalf_of="badge 4471"))
    found = {r.reference: r.on_behalf_of for r in store.iter_audit(AuditFilter())}
    assert found == {"DC-00000-00001": None, "DC-00000-00002": "badge 4471"}
    store.close()


# -- records inserted into SQLite a batch at a time, behind the journal -----------------------


def table_references(path: Path) -> list[str]:
    """What the audit table itself holds, read past the store (as a raw SQLite reader would)."""
    raw = sqlite3.connect(path)
    try:
        return [r[0] for r in raw.execute("SELECT reference FROM audit ORDER BY seq")]
    finally:
        raw.close()


def test_journaled_records_reach_the_table_a_batch_at_a_time(path: Path) -> None:
    store = SQLiteStateStore(path, audit_batch_rows=4)
    for n in range(3):
        store.append_audit(entry(f"DC-00000-0000{n}", n))
    assert table_references(path) == []  # durable in the journal, waiting for their batch
    store.append_audit(entry("DC-00000-00003", 3))
    assert table_references(path) == [f"DC-00000-0000{n}" for n in range(4)]
    store.append_audit(entry("DC-00000-00004", 4))
    assert len(table_references(path)) == 4
    # A read inserts what waits first, so it sees every acknowledged record.
    assert references(store) == [f"DC-00000-0000{n}" for n in range(5)]
    assert len(table_references(path)) == 5


def _append_and_wait(path: str, appended: object, release: object) -> None:
    store = SQLiteStateStore(Path(path), audit_batch_rows=100)
    for n in range(5):
        store.append_audit(entry(f"DC-LIVE0-0000{n}", n))
    appended.set()  # type: ignore[attr-defined]
    release.wait(30)  # type: ignore[attr-defined]
    os._exit(0)  # no clean shutdown: its batch was never inserted by this process


def test_a_reader_in_another_process_sees_a_live_writers_waiting_records(path: Path) -> None:
    context = multiprocessing.get_context("fork")
    appended, release = context.Event(), context.Event()
    writer = context.Process(target=_append_and_wait, args=(path, appended, release))
    writer.start()
    try:
        assert appended.wait(30)
        assert table_references(path) == []
        reader = SQLiteStateStore(path)
        expected = [f"DC-LIVE0-0000{n}" for n in range(5)]
        assert references(reader) == expected
        (one,) = reader.iter_audit(AuditFilter(reference="DC-LIVE0-00003"))
        assert one == entry("DC-LIVE0-00003", 3)
        (journal,) = journals(path)  # the live writer's journal is read, never taken over
        assert len(list(decode_lines(journal.read_bytes()))) == 5
        assert reader.backup(path.with_name("copy.sqlite3")) == 5
        assert table_references(path.with_name("copy.sqlite3")) == expected
    finally:
        release.set()
        writer.join(timeout=30)
    assert writer.exitcode == 0
    reader.append_audit(entry("DC-LIVE0-00005", 5))
    assert len(references(SQLiteStateStore(path))) == 6


def test_a_waiting_reference_is_not_drawn_twice(path: Path) -> None:
    store = SQLiteStateStore(path, audit_batch_rows=100)
    store.append_audit(entry("DC-00000-00001"))
    with pytest.raises(DuplicateKey):
        store.append_audit(entry("DC-00000-00001", 1))  # still waiting for its batch
    assert references(store) == ["DC-00000-00001"]  # now in the table
    with pytest.raises(DuplicateKey):
        store.append_audit(entry("DC-00000-00001", 2))


def test_a_failed_insert_refuses_the_record_and_keeps_it_journaled(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SQLiteStateStore(path, audit_batch_rows=1)

    def locked(rows: object) -> None:
        raise StoreUnavailable("audit write failed: database is locked")

    monkeypatch.setattr(store, "_insert_journaled", locked)
    with pytest.raises(StoreUnavailable, match="audit write failed"):
        store.append_audit(entry("DC-00000-00001"))
    (journal,) = journals(path)
    assert [r[0] for r in decode_lines(journal.read_bytes())] == ["DC-00000-00001"]
    monkeypatch.undo()
    store.append_audit(entry("DC-00000-00002", 1))  # the next batch takes the waiting row too
    assert table_references(path) == ["DC-00000-00001", "DC-00000-00002"]


def test_a_reference_two_processes_drew_at_once_is_logged(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = SQLiteStateStore(path, audit_batch_rows=100)
    first.append_audit(entry("DC-00000-00001"))
    other = SQLiteStateStore(path, audit_batch_rows=1)
    with caplog.at_level(logging.ERROR):
        other.append_audit(replace(entry("DC-00000-00001", 5), query="CD1234"))
        assert caplog.text == ""
        first.close()  # inserts its waiting row: the reference is taken by another record
    assert "DC-00000-00001 drawn twice" in caplog.text
    assert "DVL1234" not in caplog.text


@given(st.integers(0, 6), st.integers(0, 6), st.binary(max_size=40))
def test_the_unflushed_tail_is_what_follows_the_rows_sqlite_has(
    kept: int, waiting: int, cut: bytes
) -> None:
    written = [row(f"DC-00000-{n:05d}", n) for n in range(kept + waiting)]
    data = b"".join(encode(r) for r in written) + cut.replace(b"\n", b"") + bytes(64)
    in_sqlite = {r[0] for r in written[:kept]}
    assert unflushed_tail(data, in_sqlite.__contains__) == written[kept:]
