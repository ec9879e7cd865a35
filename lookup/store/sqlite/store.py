"""The embedded app-state store: one SQLite file in WAL mode.

Each collection is a table of JSON documents; declared unique and indexed fields become expression
indexes on `json_extract`, so a lookup by API-key hash or username is one index probe. The audit
log is its own table that triggers keep append-only; incident reports have their own table too
(lookup/store/sqlite/incidents.py), and training mode's reports the same table in a file of their
own beside this one (`training_incidents`). Document writes are committed with
`synchronous=FULL`. An audit record is synced to this process's audit journal
(lookup/store/sqlite/audit_journal.py), so it is on disk before `append_audit` returns without
holding SQLite's one write lock through an fsync, and committed to SQLite with
`synchronous=NORMAL` in batches of AUDIT_BATCH_ROWS: one commit writes each page of the table and
its indexes once for the batch instead of once a record. Every read of the audit table first
inserts the rows the journals hold and SQLite does not (`_catch_up`), so a reader in any process
sees every acknowledged record. This module never opens SQLite's files itself (see
`_make_durable`): only SQLite may, or its locks are lost.

Connections are per thread (SQLite connections must not be shared across threads) and per
process (a gunicorn worker forked after start-up opens its own).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import threading
import uuid
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lookup.store.audit_record import (
    BY_NAME,
    EQUALITY_FILTERS,
    ROW_FIELDS,
    SQLITE_COLUMNS,
    SQLITE_MIGRATIONS,
    epoch_ms,
    from_sqlite_row,
    sqlite_row,
    sqlite_table,
)
from lookup.store.base import (
    AuditFilter,
    AuditRecord,
    CollectionSpec,
    Document,
    DuplicateKey,
    Stored,
    StoreUnavailable,
    VersionConflict,
)
from lookup.store.incidents import TRAINING_APART
from lookup.store.sqlite.audit_journal import AuditRow, Journal, decode_lines, unflushed_tail
from lookup.store.sqlite.incidents import SQLiteIncidentStore
from search_index.process_id import current_pid
from search_index.sqlite.support import backup_to

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_UNIQUE_INDEX = re.compile(r"ux__(?P<collection>[a-z0-9_]+?)__(?P<field>[A-Za-z0-9_]+)")
BUSY_TIMEOUT_MS = 10_000
JOURNAL_SUFFIX = ".audit-journal"
_INSERT_AUDIT = f"INSERT INTO audit ({SQLITE_COLUMNS}) VALUES ({', '.join('?' * ROW_FIELDS)})"  # noqa: S608
# A row already there (inserted by a reader's catch-up, or kept before a crash) is the same
# record: rows are only ever inserted from a journal, and a reference is checked unused before
# its record is journaled.
_INSERT_JOURNALED = _INSERT_AUDIT.replace("INSERT", "INSERT OR IGNORE", 1)
_REFERENCE_USED = "SELECT 1 FROM audit WHERE reference = ?"
# Journaled records inserted into SQLite together: a third of the CPU a record of one commit
# each (9 against 26 µs measured alone), and most lookups write nothing to SQLite's log
# (bench/README.md, "Lean lookup path"). A reader probes at most this many rows from the end of
# each live journal (`_catch_up`).
AUDIT_BATCH_ROWS = 32
# The table (its columns from lookup/store/audit_record.py), then what keeps it append-only.
_AUDIT_SCHEMA = f"""
{sqlite_table()}
CREATE TABLE IF NOT EXISTS audit_durable (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    syncs INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_agency_at ON audit (agency_id, at_ms);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at_ms);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

# The write of SQLiteStateStore._make_durable: one row, so the table never grows.
_MARK_DURABLE = (
    "INSERT INTO audit_durable (id, syncs) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET syncs = syncs + 1"
)


def _table(collection: str) -> str:
    if not _NAME.match(collection):
        raise ValueError(f"invalid collection name: {collection!r}")
    return f"c_{collection}"


def _path_expr(field_name: str) -> str:
    if not _FIELD.match(field_name):
        raise ValueError(f"invalid field name: {field_name!r}")
    return f"json_extract(data, '$.{field_name}')"


def _sql_value(value: Any) -> Any:
    """How json_extract reports a JSON value, so equality matches what was stored."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        return value.split("\x00", 1)[0]  # json_extract hands SQLite text cut at a NUL
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return value


def _same(stored: Any, wanted: Any) -> bool:
    if wanted is None:
        return stored is None
    if isinstance(wanted, (dict, list, tuple)):
        return json.dumps(stored, sort_keys=True) == json.dumps(wanted, sort_keys=True)
    return type(stored) is type(wanted) and stored == wanted


@dataclass(eq=False)
class _ThreadConnections:
    pid: int
    open: dict[str, sqlite3.Connection] = field(default_factory=dict)


def _close_all(connections: dict[str, sqlite3.Connection], pid: int) -> None:
    """Close one thread's connections; never in a forked child: closing its parent's
    connections there could make SQLite believe it was the last user of the database."""
    if pid != current_pid():
        return
    for connection in connections.values():
        connection.close()
    connections.clear()


class SQLiteStateStore:
    name = "sqlite"

    def __init__(
        self,
        path: Path,
        *,
        journal_rotate_bytes: int | None = None,
        audit_batch_rows: int = AUDIT_BATCH_ROWS,
    ) -> None:
        self.path = Path(path)
        self.audit_batch_rows = audit_batch_rows
        self._local = threading.local()
        self._known: dict[str, CollectionSpec] = {}
        self._schema_lock = threading.Lock()
        self._audit_ready_pid: int | None = None
        journal_dir = self.path.with_name(self.path.name + JOURNAL_SUFFIX)
        self._journal = (
            Journal(journal_dir)
            if journal_rotate_bytes is None
            else Journal(journal_dir, journal_rotate_bytes)
        )
        self.incidents = SQLiteIncidentStore(self)
        self._training: SQLiteStateStore | None = None

    @property
    def training_incidents(self) -> SQLiteIncidentStore:
        """Training mode's reports, in `training-<this file's name>` beside this file: a file of
        their own, so no statement on the live table can reach them. Opened on first use (only
        training mode reads it); only its incident table is used (training is audited in the
        live log, as training lookups are)."""
        if self._training is None:
            with self._schema_lock:
                if self._training is None:
                    apart = self.path.with_name(f"{TRAINING_APART}-{self.path.name}")
                    self._training = SQLiteStateStore(apart)
        return self._training.incidents

    # -- connections ---------------------------------------------------------------------

    def _connect(self, synchronous: str = "FULL") -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # explicit BEGIN/COMMIT below
                # One thread uses it; its end-of-thread finalizer may run in another.
                check_same_thread=False,
            )
            connection.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed document survives power loss. The audit connection runs NORMAL
            # because its records are made durable by the journal instead (see append_audit).
            connection.execute(f"PRAGMA synchronous={synchronous}")
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as error:
            raise StoreUnavailable(f"cannot open the state store: {error}") from error
        return connection

    def _thread_connection(self, kind: str, synchronous: str) -> sqlite3.Connection:
        """This thread's connection of `kind`, opened on first use and closed when the thread
        ends (a threaded server starts one per request; a dropped connection is freed only by the
        cyclic collector, as it and its statement cache refer to each other)."""
        connections: _ThreadConnections | None = getattr(self._local, "connections", None)
        if connections is None or connections.pid != current_pid():
            connections = self._local.connections = _ThreadConnections(current_pid())
            weakref.finalize(connections, _close_all, connections.open, connections.pid)
        connection = connections.open.get(kind)
        if connection is None:
            connection = connections.open[kind] = self._connect(synchronous)
        return connection

    def _connection(self) -> sqlite3.Connection:
        return self._thread_connection("documents", "FULL")

    def _audit_connection(self) -> sqlite3.Connection:
        return self._thread_connection("audit", "NORMAL")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise StoreUnavailable(f"state store is not writable: {error}") from error
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        try:
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise StoreUnavailable(f"state store commit failed: {error}") from error

    def _read(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        connection = self._connection()
        try:
            cursor = connection.execute(sql, parameters)
            rows: list[sqlite3.Row] = cursor.fetchall()
        except sqlite3.OperationalError as error:
            raise StoreUnavailable(f"state store read failed: {error}") from error
        return rows

    def _stream(self, sql: str, parameters: Sequence[Any]) -> Iterator[sqlite3.Row]:
        """Rows in batches, so an export of a year of audit records needs little memory. A
        separate connection, so the caller may write (audit its own read) while iterating."""
        connection = self._connect()
        try:
            cursor = connection.execute(sql, parameters)
            while rows := cursor.fetchmany(500):
                yield from rows
        except sqlite3.OperationalError as error:
            raise StoreUnavailable(f"state store read failed: {error}") from error
        finally:
            connection.close()

    # -- schema --------------------------------------------------------------------------

    def ensure(self, specs: Sequence[CollectionSpec]) -> None:
        with self._schema_lock:
            for spec in specs:
                self._create(spec)
                self._known[spec.name] = spec

    def _create(self, spec: CollectionSpec) -> None:
        table = _table(spec.name)
        statements = [
            f"CREATE TABLE IF NOT EXISTS {table} ("
            "seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
            "version INTEGER NOT NULL, data TEXT NOT NULL)"
        ]
        for field_name in spec.unique:
            statements.append(
                f"CREATE UNIQUE INDEX IF NOT EXISTS ux__{spec.name}__{field_name} "
                f"ON {table} ({_path_expr(field_name)})"
            )
        for field_name in spec.indexed:
            statements.append(
                f"CREATE INDEX IF NOT EXISTS ix__{spec.name}__{field_name} "
                f"ON {table} ({_path_expr(field_name)})"
            )
        try:
            with self._write() as connection:
                for statement in statements:
                    connection.execute(statement)
        except sqlite3.Error as error:
            raise StoreUnavailable(f"cannot create {spec.name}: {error}") from error

    def _collection(self, collection: str) -> str:
        """The table of a collection, created (with no indexes) if it was never declared."""
        if collection not in self._known:
            self.ensure([CollectionSpec(collection)])
        return _table(collection)

    def _ensure_audit(self) -> None:
        """The audit table, and the journals of processes that have gone replayed into it (once
        per process: a worker that starts after a power loss restores what SQLite lost)."""
        if self._audit_ready_pid == current_pid():
            return
        with self._schema_lock:
            if self._audit_ready_pid == current_pid():
                return
            try:
                self._connection().executescript(_AUDIT_SCHEMA)
                self._migrate_audit()
                self._replay_journals()
            except (sqlite3.Error, OSError) as error:
                raise StoreUnavailable(f"cannot open the audit log: {error}") from error
            self._audit_ready_pid = current_pid()

    def _migrate_audit(self) -> None:
        """Add the columns a table made by an older release lacks (the triggers forbid UPDATE
        and DELETE, not ALTER TABLE, so the rows it holds stay untouched)."""
        present = {row[1] for row in self._connection().execute("PRAGMA table_info(audit)")}
        if all(column in present for column, _kind in SQLITE_MIGRATIONS):
            return
        with self._write() as writer:  # under the write lock: another process may migrate too
            present = {row[1] for row in writer.execute("PRAGMA table_info(audit)")}
            for column, kind in SQLITE_MIGRATIONS:
                if column not in present:
                    writer.execute(f"ALTER TABLE audit ADD COLUMN {column} {kind}")

    def _replay_journals(self) -> None:
        for path, fd in self._journal.orphans():
            try:
                rows = list(decode_lines(self._journal.read(fd)))
                if rows:
                    # A row SQLite kept (or never lost) is skipped by its unique reference.
                    with self._write() as connection:
                        connection.executemany(_INSERT_JOURNALED, rows)
                    # The rows SQLite kept may never have been synced (their process ended
                    # before its journal rotated); inserting nothing new would sync nothing.
                    self._make_durable()
            except BaseException:
                os.close(fd)
                raise
            self._journal.discard(path, fd)

    def _make_durable(self) -> None:
        """Make every audit row committed so far (by this process, with synchronous=NORMAL)
        durable in SQLite's own files, so the journal that vouched for them may be emptied.

        Done by SQLite, never by opening its files ourselves: POSIX locks belong to a process
        and a file, and closing *any* descriptor of the database drops every lock SQLite holds
        on it; the next process to close its connection then thinks it is the last one and
        deletes the live write-ahead log, and rows written afterwards are lost.

        A commit on a `synchronous=FULL` connection fsyncs the write-ahead log, and the file as
        a whole: every frame committed before it, with NORMAL too, is on disk once it returns.
        A frame no longer in the log was checkpointed into the database file, and SQLite
        restarts the log only after a checkpoint that synced that file. A commit that changes
        nothing writes no frame and syncs nothing, hence the one-row counter it updates. Unlike
        `wal_checkpoint(FULL)` this waits for no reader (an export streaming the audit log
        would hold lookups for the busy timeout), only for the write lock, briefly."""
        with self._write() as connection:
            try:
                connection.execute(_MARK_DURABLE)
            except sqlite3.Error as error:
                raise StoreUnavailable(f"audit log not synced: {error}") from error

    # -- documents -----------------------------------------------------------------------

    @staticmethod
    def _duplicate(collection: str, error: sqlite3.IntegrityError) -> DuplicateKey:
        found = _UNIQUE_INDEX.search(str(error))
        if found:
            return DuplicateKey(collection, found.group("field"))
        return DuplicateKey(collection, "id")

    def insert(self, collection: str, data: Document, *, id: str | None = None) -> Stored:
        table = self._collection(collection)
        document_id = id or uuid.uuid4().hex
        encoded = json.dumps(data, separators=(",", ":"))
        try:
            with self._write() as connection:
                connection.execute(
                    f"INSERT INTO {table} (id, version, data) VALUES (?, 1, ?)",  # noqa: S608
                    (document_id, encoded),
                )
        except sqlite3.IntegrityError as error:
            raise self._duplicate(collection, error) from None
        return Stored(document_id, 1, json.loads(encoded))

    def get(self, collection: str, id: str) -> Stored | None:
        table = self._collection(collection)
        rows = self._read(f"SELECT id, version, data FROM {table} WHERE id = ?", (id,))  # noqa: S608
        return Stored(rows[0][0], rows[0][1], json.loads(rows[0][2])) if rows else None

    def find(self, collection: str, **equals: Any) -> list[Stored]:
        table = self._collection(collection)
        clauses: list[str] = []
        parameters: list[Any] = []
        for field_name, value in equals.items():
            if value is None:
                clauses.append(f"{_path_expr(field_name)} IS NULL")
            else:
                clauses.append(f"{_path_expr(field_name)} = ?")
                parameters.append(_sql_value(value))
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._read(
            f"SELECT id, version, data FROM {table}{where} ORDER BY seq",  # noqa: S608
            parameters,
        )
        found = [Stored(row[0], row[1], json.loads(row[2])) for row in rows]
        # The index narrows by json_extract, which reads true as 1 and cuts text at a NUL;
        # the documents themselves decide.
        return [
            stored
            for stored in found
            if all(_same(stored.data.get(name), value) for name, value in equals.items())
        ]

    def find_one(self, collection: str, **equals: Any) -> Stored | None:
        found = self.find(collection, **equals)
        return found[0] if found else None

    def update(
        self, collection: str, id: str, changes: Document, *, expect_version: int | None = None
    ) -> Stored:
        table = self._collection(collection)
        try:
            with self._write() as connection:
                row = connection.execute(
                    f"SELECT version, data FROM {table} WHERE id = ?",  # noqa: S608
                    (id,),
                ).fetchone()
                if row is None:
                    raise KeyError(id)
                version, data = row[0], json.loads(row[1])
                if expect_version is not None and expect_version != version:
                    raise VersionConflict(f"{collection}/{id}: version {version}")
                data.update(changes)
                encoded = json.dumps(data, separators=(",", ":"))
                connection.execute(
                    f"UPDATE {table} SET version = ?, data = ? WHERE id = ?",  # noqa: S608
                    (version + 1, encoded, id),
                )
        except sqlite3.IntegrityError as error:
            raise self._duplicate(collection, error) from None
        return Stored(id, version + 1, json.loads(encoded))

    def delete(self, collection: str, id: str) -> bool:
        table = self._collection(collection)
        with self._write() as connection:
            cursor = connection.execute(f"DELETE FROM {table} WHERE id = ?", (id,))  # noqa: S608
            return cursor.rowcount > 0

    # -- audit ---------------------------------------------------------------------------

    def append_audit(self, record: AuditRecord) -> None:
        self._ensure_audit()
        row = sqlite_row(record)
        if self._reference_used(record.reference):
            raise DuplicateKey("audit", "reference")
        try:
            waiting = self._journal.append(row)
        except OSError as error:
            raise StoreUnavailable(f"audit journal write failed: {error}") from error
        # The record is durable (acknowledged) from here on. What follows only moves journaled
        # rows into SQLite; if that fails, the lookup is refused all the same (the log may hold a
        # record of a refused lookup, never miss an answered one) and the rows stay journaled.
        if self._journal.full:
            try:
                self._journal.empty(self._insert_journaled, self._make_durable)
            except (OSError, StoreUnavailable) as error:
                # The records are durable in the journal; emptying it is retried next time.
                log.warning("audit journal not emptied: %s", type(error).__name__)
        elif waiting >= self.audit_batch_rows:
            self._journal.flush(self._insert_journaled)

    def _reference_used(self, reference: str) -> bool:
        """Whether a record already has this reference: in SQLite, or journaled by this process
        and not inserted yet. (A reference another live process journaled in the last moments
        is not seen: with 50 random bits, a clash among that handful of records is left to
        chance; it would show as a logged error when the second row is inserted.)"""
        if self._journal.holds_unflushed(reference):
            return True
        try:
            return self._in_sqlite(reference)
        except sqlite3.Error as error:
            raise StoreUnavailable(f"audit log not readable: {error}") from error

    def _in_sqlite(self, reference: str) -> bool:
        """Whether the audit table has a row with this reference (raises sqlite3.Error)."""
        return (
            self._audit_connection().execute(_REFERENCE_USED, (reference,)).fetchone() is not None
        )

    def _insert_journaled(self, rows: list[AuditRow]) -> None:
        """Commit journaled rows to SQLite in one transaction (unsynced: the journals hold
        them durably). Raises StoreUnavailable."""
        connection = self._audit_connection()
        try:
            connection.execute("BEGIN IMMEDIATE")
            before = connection.total_changes
            connection.executemany(_INSERT_JOURNALED, rows)
            skipped = len(rows) - (connection.total_changes - before)
            if skipped:
                self._check_same_rows(connection, rows)
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise StoreUnavailable(f"audit write failed: {error}") from error

    @staticmethod
    def _check_same_rows(connection: sqlite3.Connection, rows: list[AuditRow]) -> None:
        """Rows skipped as already present must be the same records; a different record under
        the same reference (two processes drew it at once) is logged, never overwritten."""
        select = f"SELECT {SQLITE_COLUMNS} FROM audit WHERE reference = ?"  # noqa: S608
        for row in rows:
            stored = connection.execute(select, (row[0],)).fetchone()
            if stored is not None and tuple(stored) != tuple(row):
                log.error("audit reference %s drawn twice: one record is only in a journal", row[0])

    def _catch_up(self) -> None:
        """Insert the rows every journal holds and SQLite does not: this process's unflushed
        rows, then the newest rows of the other processes' journals. After this, SQLite holds
        every record acknowledged before it began."""
        self._journal.flush(self._insert_journaled)
        try:
            for data in self._journal.contents():
                if rows := unflushed_tail(data, self._in_sqlite):
                    self._insert_journaled(rows)
        except (sqlite3.Error, OSError) as error:
            raise StoreUnavailable(f"audit log not readable: {error}") from error

    def iter_audit(self, filter: AuditFilter) -> Iterator[AuditRecord]:
        self._ensure_audit()
        self._catch_up()
        clauses: list[str] = []
        parameters: list[Any] = []
        # reference is UNIQUE in the schema, so its automatic index answers it in one probe.
        for name in EQUALITY_FILTERS:
            value = getattr(filter, name)
            if value is not None:
                clauses.append(f"{BY_NAME[name].sql_column} = ?")
                parameters.append(value)
        if filter.since is not None:
            clauses.append("at_ms >= ?")
            parameters.append(epoch_ms(filter.since))
        if filter.until is not None:
            clauses.append("at_ms < ?")
            parameters.append(epoch_ms(filter.until))
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        limit = ""
        if filter.limit is not None:
            limit = " LIMIT ?"
            parameters.append(max(filter.limit, 0))
        sql = f"SELECT {SQLITE_COLUMNS} FROM audit{where} ORDER BY at_ms DESC, seq DESC{limit}"  # noqa: S608
        for row in self._stream(sql, parameters):
            yield from_sqlite_row(row)

    # -- backup --------------------------------------------------------------------------

    def backup(self, target: Path) -> int:
        """A consistent copy of the whole store at `target` (SQLite's online backup API, while
        the server writes on); returns the number of audit records it holds."""
        self._ensure_audit()
        self._catch_up()
        connection = self._connect()
        try:
            backup_to(connection, target)
        except sqlite3.Error as error:
            raise StoreUnavailable(f"backup failed: {error}") from error
        finally:
            connection.close()
        # Not read-only: a read-only connection would leave a -wal and -shm beside the copy.
        copy = sqlite3.connect(target)
        try:
            (count,) = copy.execute("SELECT count(*) FROM audit").fetchone()
        finally:
            copy.close()
        return int(count)

    # -- health --------------------------------------------------------------------------

    def ping(self) -> None:
        self._read("SELECT 1")

    def close(self) -> None:
        try:
            self._journal.close(self._insert_journaled)
        except StoreUnavailable as error:
            # The rows stay in the journal, which the next store to open replays.
            log.warning("audit rows not inserted at close: %s", type(error).__name__)
        connections: _ThreadConnections | None = getattr(self._local, "connections", None)
        if connections is not None:
            _close_all(connections.open, connections.pid)
        self._local = threading.local()
        if self._training is not None:
            self._training.close()
