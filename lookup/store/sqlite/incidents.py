"""Incident reports in the embedded SQLite state store (see lookup/store/incidents.py).

One table, `incidents`: the whole report as JSON plus the indexed columns of `IncidentIndex`, all
written by one INSERT or UPDATE inside one transaction, so a report is stored whole or not at all.
The table and its indexes are created on first use in a database made before reports existed
(`CREATE ... IF NOT EXISTS`; `PRAGMA user_version` records that the migration ran).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any, Protocol

from lookup.store.base import Document, DuplicateKey, StoreUnavailable, VersionConflict
from lookup.store.incidents import (
    COUNT_LIMIT,
    LATEST_FIELDS,
    IncidentFilter,
    Tally,
    TallyBy,
    index_fields,
    latest_report,
    utc_text,
)


class _Database(Protocol):
    """What the incident table uses of the SQLite state store that owns it (its connections),
    named here so this module does not import the store that imports it."""

    def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def _read(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]: ...

    def _stream(self, sql: str, parameters: Sequence[Any]) -> Iterator[sqlite3.Row]: ...


SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    agency_id TEXT NOT NULL,
    status TEXT NOT NULL,
    kind TEXT NOT NULL,
    country_key TEXT,
    mission_id TEXT,
    person_id TEXT,
    occurred_at TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    points INTEGER,
    assessed_at TEXT,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_person
    ON incidents (person_id, assessed_at, occurred_on, points);
CREATE INDEX IF NOT EXISTS incidents_assessed
    ON incidents (assessed_at, id) WHERE assessed_at IS NOT NULL;
"""
# The queue's filters. Each index leads with one filter column, then the queue's order, then the
# other filter columns: a page is read in order, and its total is counted from the index alone
# (a count that visited each matching row measured 70 ms for a country with 35,000 reports).
_FILTERS = ("agency_id", "status", "kind", "country_key", "mission_id")
_QUEUE_INDEXES = [
    f"CREATE INDEX IF NOT EXISTS incidents_by_{lead} ON incidents "
    f"({lead}, occurred_at, id, {', '.join(c for c in _FILTERS if c != lead)}, person_id)"
    for lead in _FILTERS
] + [
    "CREATE INDEX IF NOT EXISTS incidents_by_time ON incidents "
    f"(occurred_at, id, {', '.join(_FILTERS)}, person_id)"
]
_COLUMNS = (
    "agency_id",
    "status",
    "kind",
    "country_key",
    "mission_id",
    "person_id",
    "occurred_at",
    "occurred_on",
    "points",
    "assessed_at",
)
_ORDER = " ORDER BY occurred_at DESC, id DESC"
# `occurred_at` is written by iso_millis, always this wide (YYYY-MM-DDTHH:MM:SS.mmmZ): the text
# `occurred_at || id` sorts as the pair (when, id), and the id starts right after it.
_TIME_WIDTH = len("2026-01-01T00:00:00.000Z")


def _row(document: Document) -> tuple[Any, ...]:
    index = index_fields(document)
    return (
        index.agency_id,
        index.status,
        index.kind,
        index.country_key,
        index.mission_id,
        index.person_id,
        index.occurred_at,
        index.occurred_on,
        index.points,
        index.assessed_at,
    )


def _where(filter: IncidentFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    parameters: list[Any] = []
    for column, value in filter.equalities():
        clauses.append(f"{column} = ?")
        parameters.append(value)
    if filter.since is not None:
        clauses.append("occurred_at >= ?")
        parameters.append(utc_text(filter.since))
    if filter.until is not None:
        clauses.append("occurred_at < ?")
        parameters.append(utc_text(filter.until))
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), parameters


def _nested(values: Sequence[Any]) -> dict[str, Any]:
    """The LATEST_FIELDS values, in order, nested by their dotted paths as in the document."""
    nested: dict[str, Any] = {}
    for path, value in zip(LATEST_FIELDS, values, strict=True):
        *parents, name = path.split(".")
        node = nested
        for parent in parents:
            node = node.setdefault(parent, {})
        node[name] = value
    return nested


class SQLiteIncidentStore:
    def __init__(self, store: _Database) -> None:
        self._store = store
        self._ready = False
        self._lock = threading.Lock()

    def _ensure(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            try:
                with self._store._write() as connection:
                    for statement in [*_SCHEMA.split(";"), *_QUEUE_INDEXES]:
                        if statement.strip():
                            connection.execute(statement)
                    found = connection.execute("PRAGMA user_version").fetchone()[0]
                    if found < SCHEMA_VERSION:
                        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            except sqlite3.Error as error:
                raise StoreUnavailable(f"cannot create the incident table: {error}") from error
            self._ready = True

    def add(self, document: Document) -> None:
        self._ensure()
        encoded = json.dumps(document, separators=(",", ":"))
        placeholders = ", ".join("?" * (len(_COLUMNS) + 3))
        try:
            with self._store._write() as connection:
                connection.execute(
                    f"INSERT INTO incidents (id, version, {', '.join(_COLUMNS)}, data) "  # noqa: S608
                    f"VALUES ({placeholders})",
                    (document["incident_id"], 1, *_row(document), encoded),
                )
        except sqlite3.IntegrityError as error:
            if "UNIQUE" in str(error):
                raise DuplicateKey("incidents", "incident_id") from None
            raise StoreUnavailable(f"incident write refused: {error}") from error
        except sqlite3.Error as error:
            raise StoreUnavailable(f"incident write failed: {error}") from error

    def get(self, incident_id: str) -> tuple[int, Document] | None:
        self._ensure()
        rows = self._store._read("SELECT version, data FROM incidents WHERE id = ?", (incident_id,))
        return (rows[0][0], json.loads(rows[0][1])) if rows else None

    def replace(self, incident_id: str, document: Document, *, expect_version: int) -> int:
        self._ensure()
        encoded = json.dumps(document, separators=(",", ":"))
        assignments = ", ".join(f"{column} = ?" for column in _COLUMNS)
        try:
            with self._store._write() as connection:
                row = connection.execute(
                    "SELECT version FROM incidents WHERE id = ?", (incident_id,)
                ).fetchone()
                if row is None:
                    raise KeyError(incident_id)
                if row[0] != expect_version:
                    raise VersionConflict(f"incidents/{incident_id}: version {row[0]}")
                connection.execute(
                    f"UPDATE incidents SET version = ?, {assignments}, data = ? WHERE id = ?",  # noqa: S608
                    (expect_version + 1, *_row(document), encoded, incident_id),
                )
        except sqlite3.Error as error:
            raise StoreUnavailable(f"incident write failed: {error}") from error
        return expect_version + 1

    def page(
        self, filter: IncidentFilter, *, offset: int, limit: int
    ) -> tuple[list[Document], int]:
        self._ensure()
        where, parameters = _where(filter)
        total = self._store._read(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM incidents{where} LIMIT ?)",  # noqa: S608
            [*parameters, COUNT_LIMIT + 1],
        )[0][0]
        rows = self._store._read(
            f"SELECT data FROM incidents{where}{_ORDER} LIMIT ? OFFSET ?",  # noqa: S608
            [*parameters, limit, offset],
        )
        return [json.loads(row[0]) for row in rows], int(total)

    def iterate(self, filter: IncidentFilter) -> Iterator[Document]:
        self._ensure()
        where, parameters = _where(filter)
        for row in self._store._stream(f"SELECT data FROM incidents{where}{_ORDER}", parameters):  # noqa: S608
            yield json.loads(row[0])

    def reports_by_month(self, filter: IncidentFilter) -> dict[tuple[str, str], int]:
        self._ensure()
        where, parameters = _where(filter)
        rows = self._store._read(
            f"SELECT substr(occurred_on, 1, 7) AS month, kind, COUNT(*) FROM incidents{where} "  # noqa: S608
            "GROUP BY month, kind",
            parameters,
        )
        return {(row[0], row[1]): int(row[2]) for row in rows}

    def tallies(
        self, filter: IncidentFilter, by: TallyBy, *, at_least: int = 1, top: int | None = None
    ) -> list[Tally]:
        self._ensure()
        if by not in ("person_id", "mission_id"):  # a column name: never from input
            raise ValueError(by)
        where, parameters = _where(filter)
        where = f"{where} AND {by} IS NOT NULL" if where else f" WHERE {by} IS NOT NULL"
        extracts = ", ".join(f"json_extract(i.data, '$.{path}')" for path in LATEST_FIELDS)
        # Counted from a covering queue index; only each group's latest row is read.
        rows = self._store._read(
            f"SELECT g.key, g.reports, i.id, {extracts} FROM ("  # noqa: S608
            f"SELECT {by} AS key, COUNT(*) AS reports, MAX(occurred_at || id) AS latest "
            f"FROM incidents{where} GROUP BY {by} HAVING COUNT(*) >= ? "
            "ORDER BY reports DESC, latest DESC LIMIT ?) AS g "
            f"JOIN incidents AS i ON i.id = substr(g.latest, {_TIME_WIDTH + 1}) "
            "ORDER BY g.reports DESC, g.latest DESC",
            [*parameters, at_least, -1 if top is None else top],
        )
        return [Tally(row[0], int(row[1]), latest_report(row[2], _nested(row[3:]))) for row in rows]

    def reported_points(
        self, person_ids: Sequence[str], *, assessed_after: datetime, occurred_from: date
    ) -> dict[str, int]:
        if not person_ids:
            return {}
        self._ensure()
        marks = ", ".join("?" * len(person_ids))
        rows = self._store._read(
            f"SELECT person_id, SUM(points) FROM incidents WHERE person_id IN ({marks}) "  # noqa: S608
            "AND points IS NOT NULL AND assessed_at > ? AND occurred_on >= ? GROUP BY person_id",
            [*person_ids, utc_text(assessed_after), occurred_from.isoformat()],
        )
        return {row[0]: int(row[1]) for row in rows if row[1]}

    def assessments_mark(self) -> str:
        self._ensure()
        # The partial index answers both parts: the count from the index alone, the latest
        # from its last entry (no table row is read).
        rows = self._store._read(
            "SELECT COUNT(*), MAX(assessed_at), "
            "(SELECT id FROM incidents WHERE assessed_at IS NOT NULL "
            "ORDER BY assessed_at DESC, id DESC LIMIT 1) "
            "FROM incidents WHERE assessed_at IS NOT NULL"
        )
        count, latest, incident_id = rows[0]
        return f"{count}|{latest or ''}|{incident_id or ''}"
