"""The embedded search backend: one immutable SQLite file per published data set.

Layout of the data directory:

- `index-<dataset id>.sqlite`: a complete data set, built under a temporary name and never changed
  after it is published (WAL mode, so readers never wait on a lock).
- `CURRENT`: a small JSON pointer naming the served file. Publishing writes a new pointer beside it
  and renames it over the old one (`os.replace`), so a reader finds the old set or the new one,
  never a mix or nothing. The previous file is kept, so lookups that pinned it just before the
  switch finish on it; older files are removed by the next publish.
- `import.lock`: an exclusive `flock` held for a whole import; a second import fails at once
  with ImportBusy instead of waiting.

Readers keep one read-only connection per thread and per file. `snapshot()` costs one `stat` of the
pointer; when the pointer has changed, the thread opens the new file and closes its connection to
the old one once no snapshot of that thread still uses it.

Inside a file: exact and confusable plates are one indexed lookup on the plates' confusable key
(search_index.confusables); partial patterns are an FTS5 trigram GLOB query, checked against the
pattern's regex; names are indexed by normalized word. A name query finds the look-alikes of each
of its words in the file's word list (rapidfuzz, a few edits allowed), reads candidates through the
rarest word's look-alikes and ranks them in Python: the equivalent of a trigram shortlist plus
fuzzy ranking, but tolerant of typos in every word and of any word order.
"""

# SQL here is assembled only from the record types' own column names and "?" placeholders; every
# value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import fcntl
import heapq
import json
import os
import secrets
import sqlite3
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from types import UnionType
from typing import Any, TypeVar, get_args, get_type_hints
from urllib.request import pathname2url

from rapidfuzz import process
from rapidfuzz.distance import OSA

from search_index.backend import (
    BackendUnavailable,
    ImportBusy,
    NoDataPublished,
    PublishFailed,
)
from search_index.confusables import (
    confusable_key,
    parse_plate_pattern,
    rank_number_candidates,
    rank_pattern_candidates,
    rank_plate_candidates,
)
from search_index.names import (
    combined_score,
    country_key,
    query_typos,
    score_ceiling,
    similarity,
)
from search_index.normalize import indexed_name_words, normalize_identifier, normalize_plate
from search_index.process_id import current_pid
from search_index.progress import QUIET, Progress
from search_index.records import (
    FAMILY_MEMBER,
    Dataset,
    DatasetInfo,
    License,
    Mission,
    NumberMatch,
    Person,
    PersonHit,
    PlateMatch,
    PolicyGroup,
    Vehicle,
)
from search_index.sqlite.support import backup_to

POINTER = "CURRENT"
LOCK = "import.lock"
_PREFIX = "index-"
_SUFFIX = ".sqlite"
_BUILDING = ".building"
# 3: confusable keys of card and licence numbers; 4: missions carry latitude and longitude.
SCHEMA_VERSION = "4"
_FILES_REMEMBERED = 3

R = TypeVar("R")


# -- records <-> rows -----------------------------------------------------------------------------


def _decoder(kind: Any) -> Callable[[Any], Any] | None:
    """How to turn a stored column back into the dataclass field's type (None: as stored)."""
    options = get_args(kind) if isinstance(kind, UnionType) else (kind,)
    if date in options:
        return date.fromisoformat
    if bool in options:
        return bool
    if kind == tuple[str, ...]:
        return lambda stored: tuple(stored.split(";")) if stored else ()
    return None


def _date_or_none(stored: str | None) -> date | None:
    return None if stored is None else date.fromisoformat(stored)


def _encode(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return ";".join(value)
    return value  # str, int, bool (stored as 0/1) and None


@dataclass(frozen=True)
class _Codec:
    """Column names of one record type (in field order) and the decoders of the columns that are
    not stored as the field's own type, by column position."""

    cls: type[Any]
    columns: tuple[str, ...]
    # Only the columns that need one: most are stored as they are read, and rows are decoded on
    # every lookup.
    decoders: tuple[tuple[int, Callable[[Any], Any]], ...]

    @classmethod
    def of(cls, record: type[Any]) -> _Codec:
        hints = get_type_hints(record)
        names = tuple(f.name for f in fields(record))
        decoders = tuple(
            (position, decode)
            for position, name in enumerate(names)
            if (decode := _decoder(hints[name])) is not None
        )
        return cls(record, names, decoders)

    @property
    def select(self) -> str:
        return ", ".join(self.columns)

    def encode(self, record: Any) -> list[Any]:
        return [_encode(getattr(record, name)) for name in self.columns]

    def decode(self, row: tuple[Any, ...]) -> Any:
        """A record from a row of `columns` (NULL stays None)."""
        values = list(row)
        for position, decode in self.decoders:
            value = values[position]
            if value is not None:
                values[position] = decode(value)
        return self.cls(*values)


_MISSION = _Codec.of(Mission)
_PERSON = _Codec.of(Person)
_VEHICLE = _Codec.of(Vehicle)
_LICENSE = _Codec.of(License)
_FLEET_VEHICLE = ", ".join(f"v.{column}" for column in _VEHICLE.columns)
# The policy facts of lookup/rules/insurance.py, counted per fleet: a person's vehicle belongs to
# the person's mission.
_POLICY_GROUPS = """
SELECT COALESCE(v.owner_mission_id, p.mission_id) AS fleet, COUNT(*), v.vehicle_type,
       v.insurer IS NOT NULL OR v.policy_number IS NOT NULL, v.policy_effective, v.policy_expiry,
       v.policy_cancelled, v.coverage_csl, v.coverage_bi_person, v.coverage_bi_accident,
       v.coverage_pd
FROM vehicles v LEFT JOIN persons p ON p.person_id = v.owner_person_id
WHERE fleet IS NOT NULL
GROUP BY fleet, 3, 4, 5, 6, 7, 8, 9, 10, 11
ORDER BY fleet
"""
# Ids bound into one `IN (...)`: far below SQLite's bound-parameter limit (999 before 3.32).
_IN_CHUNK = 500


def _schema() -> str:
    def columns(codec: _Codec) -> str:
        return ", ".join(codec.columns)

    return f"""
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE missions ({columns(_MISSION)}, PRIMARY KEY (mission_id)) WITHOUT ROWID;
    -- rowid keeps the import order: members_of and family_of answer in file order.
    CREATE TABLE persons ({columns(_PERSON)}, name_key TEXT NOT NULL, country_key TEXT NOT NULL,
                          credential_key TEXT);
    CREATE TABLE vehicles ({columns(_VEHICLE)}, confusable_key TEXT NOT NULL,
                           PRIMARY KEY (plate)) WITHOUT ROWID;
    CREATE TABLE licenses ({columns(_LICENSE)}, confusable_key TEXT NOT NULL,
                           PRIMARY KEY (license_number)) WITHOUT ROWID;
    -- Name search: each normalized word of a person's name with the whole normalized name (so
    -- candidates are scored from one index range, without visiting the persons table), and the
    -- vocabulary with how many persons use each word (to start from the rarest query word).
    CREATE TABLE name_tokens (token TEXT NOT NULL, person INTEGER NOT NULL, name_key TEXT NOT NULL,
                              PRIMARY KEY (token, person)) WITHOUT ROWID;
    CREATE TABLE name_vocab (token TEXT PRIMARY KEY, persons INTEGER NOT NULL) WITHOUT ROWID;
    -- Partial plates: a trigram index answers GLOB patterns that hold a run of 3 known characters.
    CREATE VIRTUAL TABLE plate_grams USING fts5(plate, tokenize = 'trigram');
    """


_INDEXES = """
CREATE UNIQUE INDEX persons_id ON persons (person_id);
CREATE INDEX persons_credential ON persons (credential_number) WHERE credential_number IS NOT NULL;
CREATE INDEX persons_credential_key ON persons (credential_key) WHERE credential_key IS NOT NULL;
CREATE INDEX licenses_confusable ON licenses (confusable_key);
CREATE INDEX persons_principal ON persons (principal_id) WHERE principal_id IS NOT NULL;
CREATE INDEX persons_mission ON persons (mission_id);
CREATE INDEX vehicles_confusable ON vehicles (confusable_key);
CREATE INDEX vehicles_person ON vehicles (owner_person_id) WHERE owner_person_id IS NOT NULL;
CREATE INDEX vehicles_mission ON vehicles (owner_mission_id) WHERE owner_mission_id IS NOT NULL;
CREATE INDEX licenses_person ON licenses (person_id);
"""


def _build(path: Path, dataset: Dataset, info: DatasetInfo, progress: Progress) -> None:
    """Write a complete data set into a new file at `path`."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        # Nobody reads this file until it is complete, and a crash leaves only a temporary file
        # to delete: no journal is needed while building.
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.executescript(_schema())  # executescript commits on its own: keep it outside BEGIN
        db.execute("BEGIN")
        meta = {
            "schema_version": SCHEMA_VERSION,
            "dataset_id": info.dataset_id,
            "published_at": info.published_at.isoformat(),
            "counts": json.dumps(info.counts, sort_keys=True),
        }
        db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        with progress.stage("loading", 4) as advance:  # missions, persons, vehicles, licences
            _insert(db, "missions", _MISSION, dataset.missions)
            advance(1)
            countries = {m.mission_id: country_key(m.country) for m in dataset.missions}
            vocabulary: Counter[str] = Counter()
            person_rows: list[list[Any]] = []
            token_rows: list[tuple[str, int, str]] = []
            for number, person in enumerate(dataset.persons, start=1):
                name = indexed_name_words(f"{person.given_names or ''} {person.family_name}")
                name_key = " ".join(name)
                words = sorted(set(name))
                vocabulary.update(words)
                token_rows.extend((word, number, name_key) for word in words)
                row = _PERSON.encode(person)
                card = person.credential_number
                row += [
                    name_key,
                    countries.get(person.mission_id, ""),
                    card and confusable_key(card),
                ]
                person_rows.append([number, *row])
            marks = ", ".join("?" * (len(_PERSON.columns) + 4))
            db.executemany(
                f"INSERT INTO persons (rowid, {_PERSON.select}, name_key, country_key, "
                f"credential_key) VALUES ({marks})",
                person_rows,
            )
            db.executemany("INSERT INTO name_tokens VALUES (?, ?, ?)", token_rows)
            db.executemany("INSERT INTO name_vocab VALUES (?, ?)", sorted(vocabulary.items()))
            advance(1)
            vehicle_rows = [
                [*_VEHICLE.encode(v), confusable_key(v.plate)] for v in dataset.vehicles
            ]
            marks = ", ".join("?" * (len(_VEHICLE.columns) + 1))
            db.executemany(f"INSERT INTO vehicles VALUES ({marks})", vehicle_rows)
            db.executemany(
                "INSERT INTO plate_grams VALUES (?)", ((v.plate,) for v in dataset.vehicles)
            )
            advance(1)
            licence_rows = [
                [*_LICENSE.encode(lic), confusable_key(lic.license_number)]
                for lic in dataset.licenses
            ]
            marks = ", ".join("?" * (len(_LICENSE.columns) + 1))
            db.executemany(f"INSERT INTO licenses VALUES ({marks})", licence_rows)
            advance(1)
        db.execute("COMMIT")
        with progress.stage("indexing", 1) as advance:
            db.executescript(_INDEXES)
            db.execute("ANALYZE")
            advance(1)
        db.execute("PRAGMA journal_mode = WAL")
    finally:
        db.close()
    # The rename into place must not expose a file whose pages are still in the page cache only.
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _insert(db: sqlite3.Connection, table: str, codec: _Codec, records: tuple[Any, ...]) -> None:
    marks = ", ".join("?" * len(codec.columns))
    db.executemany(f"INSERT INTO {table} VALUES ({marks})", (codec.encode(r) for r in records))


def _read_info(db: sqlite3.Connection) -> DatasetInfo:
    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise BackendUnavailable("the published index was written by another version")
    return DatasetInfo(
        dataset_id=meta["dataset_id"],
        published_at=datetime.fromisoformat(meta["published_at"]),
        counts=json.loads(meta["counts"]),
    )


# -- reading ---------------------------------------------------------------------------------------


@dataclass
class _IndexFile:
    """Process-wide facts about one published file, shared by every thread."""

    name: str
    path: Path
    info: DatasetInfo
    _vocabulary: tuple[list[str], dict[str, int]] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def vocabulary(self, db: sqlite3.Connection) -> tuple[list[str], dict[str, int]]:
        """Every distinct name word, and how many persons carry it (loaded once per file)."""
        if self._vocabulary is None:
            with self._lock:
                if self._vocabulary is None:
                    rows = db.execute("SELECT token, persons FROM name_vocab").fetchall()
                    self._vocabulary = ([token for token, _ in rows], dict(rows))
        return self._vocabulary


class SQLiteSnapshot:
    """One pinned published file, read through the calling thread's connection."""

    __slots__ = ("_db", "_file", "info")

    def __init__(self, db: sqlite3.Connection, index_file: _IndexFile) -> None:
        self._db = db
        self._file = index_file
        self.info = index_file.info

    def _all(self, codec: _Codec, sql: str, params: tuple[Any, ...]) -> list[Any]:
        return [codec.decode(row) for row in self._db.execute(sql, params)]

    def _all_in(
        self, codec: _Codec, table: str, column: str, values: Sequence[str], order: str
    ) -> list[Any]:
        """The rows of `table` whose `column` is one of `values`, by `order` within each chunk
        of values (SQLite bounds a statement's parameters, so they are read a chunk at a time)."""
        wanted = list(dict.fromkeys(values))
        found: list[Any] = []
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            found.extend(
                self._all(
                    codec,
                    f"SELECT {codec.select} FROM {table} "
                    f"WHERE {column} IN ({', '.join('?' * len(chunk))}) ORDER BY {order}",
                    tuple(chunk),
                )
            )
        return found

    def _one(self, codec: _Codec, sql: str, params: tuple[Any, ...]) -> Any:
        row = self._db.execute(sql, params).fetchone()
        return None if row is None else codec.decode(row)

    def find_plate(self, typed: str, *, limit: int = 10) -> list[PlateMatch]:
        """The exact plate first when it exists, then its confusable look-alikes, best first."""
        plate = normalize_plate(typed)
        vehicles: list[Vehicle] = self._all(
            _VEHICLE,
            f"SELECT {_VEHICLE.select} FROM vehicles WHERE confusable_key = ?",
            (confusable_key(plate),),
        )
        return rank_plate_candidates(plate, vehicles, limit)

    def find_plate_pattern(self, pattern: str, *, limit: int = 25) -> list[PlateMatch]:
        parsed = parse_plate_pattern(pattern)
        vehicles: list[Vehicle] = self._all(
            _VEHICLE,
            f"SELECT {', '.join('v.' + c for c in _VEHICLE.columns)} "
            "FROM plate_grams g JOIN vehicles v ON v.plate = g.plate WHERE g.plate GLOB ?",
            (parsed.text,),
        )
        return rank_pattern_candidates(parsed, vehicles, limit)

    def get_vehicle(self, plate: str) -> Vehicle | None:
        try:
            key = normalize_plate(plate)
        except ValueError:
            return None
        vehicle: Vehicle | None = self._one(
            _VEHICLE, f"SELECT {_VEHICLE.select} FROM vehicles WHERE plate = ?", (key,)
        )
        return vehicle

    def get_person(self, person_id: str) -> Person | None:
        person: Person | None = self._one(
            _PERSON, f"SELECT {_PERSON.select} FROM persons WHERE person_id = ?", (person_id,)
        )
        return person

    def get_mission(self, mission_id: str) -> Mission | None:
        mission: Mission | None = self._one(
            _MISSION, f"SELECT {_MISSION.select} FROM missions WHERE mission_id = ?", (mission_id,)
        )
        return mission

    def persons_by_id(self, person_ids: Sequence[str]) -> dict[str, Person]:
        persons: list[Person] = self._all_in(_PERSON, "persons", "person_id", person_ids, "rowid")
        return {person.person_id: person for person in persons}

    def missions_by_id(self, mission_ids: Sequence[str]) -> dict[str, Mission]:
        missions: list[Mission] = self._all_in(
            _MISSION, "missions", "mission_id", mission_ids, "mission_id"
        )
        return {mission.mission_id: mission for mission in missions}

    def find_credential(self, number: str) -> Person | None:
        person: Person | None = self._one(
            _PERSON,
            f"SELECT {_PERSON.select} FROM persons WHERE credential_number = ?",
            (normalize_identifier(number),),
        )
        return person

    def find_license(self, number: str) -> License | None:
        found: License | None = self._one(
            _LICENSE,
            f"SELECT {_LICENSE.select} FROM licenses WHERE license_number = ?",
            (normalize_identifier(number),),
        )
        return found

    def find_credentials(self, typed: str, *, limit: int = 10) -> list[NumberMatch[Person]]:
        number = normalize_identifier(typed)
        persons: list[Person] = self._all(
            _PERSON,
            f"SELECT {_PERSON.select} FROM persons WHERE credential_key = ?",
            (confusable_key(number),),
        )
        return rank_number_candidates(number, persons, lambda p: p.credential_number, limit)

    def find_licenses(self, typed: str, *, limit: int = 10) -> list[NumberMatch[License]]:
        number = normalize_identifier(typed)
        licences: list[License] = self._all(
            _LICENSE,
            f"SELECT {_LICENSE.select} FROM licenses WHERE confusable_key = ?",
            (confusable_key(number),),
        )
        return rank_number_candidates(number, licences, lambda lic: lic.license_number, limit)

    def licenses_of(self, person_ids: Sequence[str]) -> dict[str, License]:
        licences: list[License] = self._all_in(
            _LICENSE, "licenses", "person_id", person_ids, "person_id, license_number"
        )
        found: dict[str, License] = {}
        for licence in licences:  # lowest number first within each person: the first is theirs
            found.setdefault(licence.person_id, licence)
        return found

    def family_of(self, person_id: str) -> list[Person]:
        return self._all(
            _PERSON,
            f"SELECT {_PERSON.select} FROM persons WHERE principal_id = ? ORDER BY rowid",
            (person_id,),
        )

    def families_of(self, person_ids: Sequence[str]) -> dict[str, list[Person]]:
        families: dict[str, list[Person]] = {person_id: [] for person_id in person_ids}
        # A principal's family is in one chunk, in file order (rowid), as family_of lists it.
        members: list[Person] = self._all_in(
            _PERSON, "persons", "principal_id", person_ids, "rowid"
        )
        for member in members:
            if member.principal_id is not None:  # always: the query asked for these principals
                families[member.principal_id].append(member)
        return families

    def members_of(self, mission_id: str, *, limit: int = 50) -> list[Person]:
        return self._all(
            _PERSON,
            f"SELECT {_PERSON.select} FROM persons WHERE mission_id = ? "
            "ORDER BY category = ?, rowid LIMIT ?",
            (mission_id, FAMILY_MEMBER, limit),
        )

    def vehicles_of_person(self, person_id: str) -> list[Vehicle]:
        return self._all(
            _VEHICLE,
            f"SELECT {_VEHICLE.select} FROM vehicles WHERE owner_person_id = ? ORDER BY plate",
            (person_id,),
        )

    def missions(self) -> list[Mission]:
        return self._all(
            _MISSION, f"SELECT {_MISSION.select} FROM missions ORDER BY mission_id", ()
        )

    def travel_controlled(self) -> list[Person]:
        return self._all(
            _PERSON,
            f"SELECT {_PERSON.select} FROM persons WHERE travel_control != 'none' "
            "ORDER BY mission_id, person_id",
            (),
        )

    def travel_control_counts(self) -> dict[tuple[str | None, str], int]:
        rows = self._db.execute(
            "SELECT travel_zone, travel_control, COUNT(*) FROM persons "
            "WHERE travel_control != 'none' GROUP BY travel_zone, travel_control"
        )
        return {(zone, regime): int(count) for zone, regime, count in rows}

    def credential_holders(self) -> list[Person]:
        return self._all(
            _PERSON,
            f"SELECT {_PERSON.select} FROM persons WHERE credential_number IS NOT NULL "
            "ORDER BY person_id",
            (),
        )

    def all_vehicles(self) -> list[Vehicle]:
        return self._all(_VEHICLE, f"SELECT {_VEHICLE.select} FROM vehicles ORDER BY plate", ())

    def fleet_of(self, mission_id: str) -> list[Vehicle]:
        return self._all(
            _VEHICLE,
            f"SELECT {_VEHICLE.select} FROM vehicles v WHERE owner_mission_id = ? "
            f"UNION ALL SELECT {_FLEET_VEHICLE} FROM vehicles v "
            "JOIN persons p ON p.person_id = v.owner_person_id WHERE p.mission_id = ? "
            "ORDER BY plate",
            (mission_id, mission_id),
        )

    def expired_before(self, day: date) -> list[tuple[str, Vehicle]]:
        rows = self._db.execute(
            f"SELECT COALESCE(v.owner_mission_id, p.mission_id) AS fleet, {_FLEET_VEHICLE} "
            "FROM vehicles v LEFT JOIN persons p ON p.person_id = v.owner_person_id "
            "WHERE v.policy_expiry < ? AND fleet IS NOT NULL ORDER BY v.plate",
            (day.isoformat(),),
        )
        return [(row[0], _VEHICLE.decode(row[1:])) for row in rows]

    def policy_groups(self) -> list[PolicyGroup]:
        return [
            PolicyGroup(
                mission_id=fleet,
                vehicles=count,
                vehicle_type=vehicle_type,
                policy_identified=bool(identified),
                policy_effective=_date_or_none(effective),
                policy_expiry=_date_or_none(expiry),
                policy_cancelled=bool(cancelled),
                coverage_csl=csl,
                coverage_bi_person=bi_person,
                coverage_bi_accident=bi_accident,
                coverage_pd=pd,
            )
            for (
                fleet,
                count,
                vehicle_type,
                identified,
                effective,
                expiry,
                cancelled,
                csl,
                bi_person,
                bi_accident,
                pd,
            ) in self._db.execute(_POLICY_GROUPS)
        ]

    def search_persons(
        self,
        name: str,
        *,
        date_of_birth: date | None = None,
        country: str | None = None,
        limit: int = 20,
    ) -> list[PersonHit]:
        """Words of the query are matched to name words in any order, each within a few typos;
        accents and case never matter (the rule and the score: search_index.names)."""
        words, persons_with = self._file.vocabulary(self._db)
        similar: list[dict[str, float]] = []
        for token, edits in query_typos(name):
            found = process.extract(
                token, words, scorer=OSA.distance, score_cutoff=edits, limit=None
            )
            similar.append({word: similarity(token, word, distance) for word, distance, _ in found})
        usable = [s for s in similar if s]
        if not usable:
            return []
        # Candidates come from the query word whose look-alikes name the fewest persons, closest
        # look-alikes first. A candidate first reached through a look-alike of similarity `sim`
        # scores at most `bound`; once `limit` hits beat that, the rest cannot enter the answer.
        start = min(usable, key=lambda s: sum(persons_with[w] for w in s))
        base = "SELECT t.person, t.name_key FROM name_tokens t"
        filters = ""
        extra: list[Any] = []
        if date_of_birth is not None or country is not None:
            base += " JOIN persons p ON p.rowid = t.person"
        if date_of_birth is not None:
            filters += " AND p.date_of_birth = ?"
            extra.append(date_of_birth.isoformat())
        if country is not None:
            filters += " AND p.country_key = ?"
            extra.append(country_key(country))
        scored: list[tuple[float, str, int]] = []
        seen: set[int] = set()
        closest_first = sorted(start.items(), key=lambda item: -item[1])
        for sim, batch in groupby(closest_first, key=itemgetter(1)):
            bound = score_ceiling(sim, len(similar))
            if len(scored) >= limit and heapq.nlargest(limit, scored)[-1][0] > bound:
                break
            batch_words = [word for word, _ in batch]
            sql = f"{base} WHERE t.token IN ({', '.join('?' * len(batch_words))}){filters}"
            for rowid, name_key in self._db.execute(sql, [*batch_words, *extra]):
                if rowid in seen:
                    continue
                seen.add(rowid)
                candidate = name_key.split(" ")
                best = [max(s.get(word, 0.0) for word in candidate) for s in similar]
                matched = sum(any(word in s for s in similar) for word in candidate)
                score = combined_score(best, matched, len(candidate))
                if score is not None:
                    scored.append((score, name_key, rowid))
        scored.sort(key=lambda hit: (-hit[0], hit[1], hit[2]))
        top = scored[:limit]
        if not top:
            return []
        marks = ", ".join("?" * len(top))
        rows = self._db.execute(
            f"SELECT rowid, {_PERSON.select} FROM persons WHERE rowid IN ({marks})",
            [rowid for _, _, rowid in top],
        )
        by_rowid = {row[0]: _PERSON.decode(row[1:]) for row in rows}
        return [PersonHit(person=by_rowid[rowid], score=score) for score, _, rowid in top]


@dataclass(eq=False)  # identity hash: kept in a WeakSet
class _ThreadState:
    connections: dict[str, sqlite3.Connection] = field(default_factory=dict)
    pins: Counter[str] = field(default_factory=Counter)
    holds_import_lock: bool = False
    pid: int = field(default_factory=current_pid)


def _close_connections(connections: dict[str, sqlite3.Connection], pid: int) -> None:
    """Close a finished thread's connections; never in a forked child (they are its parent's)."""
    if pid != current_pid():
        return
    for db in connections.values():
        db.close()
    connections.clear()


def _write_pointer(directory: Path, name: str) -> None:
    """Point `directory`'s CURRENT at `name`: written aside, synced, renamed over the old one."""
    temporary = directory / f"{POINTER}.{secrets.token_hex(4)}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump({"file": name}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, directory / POINTER)
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class SQLiteBackend:
    """SearchBackend over immutable SQLite files in `data_dir` (see the module docstring)."""

    name = "sqlite"

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._pointer_path = self.data_dir / POINTER
        self._local = threading.local()
        self._lock = threading.Lock()
        self._pointer: tuple[tuple[int, int, int], str] | None = None
        self._files: dict[str, _IndexFile] = {}
        # Weak, so a finished thread's state is freed (and its connections closed, see _state):
        # servers that start a thread per request must not accumulate open files.
        self._states: weakref.WeakSet[_ThreadState] = weakref.WeakSet()

    # -- reading

    def _state(self) -> _ThreadState:
        state: _ThreadState | None = getattr(self._local, "state", None)
        # A forked worker (gunicorn --preload) inherits its parent's thread state; SQLite
        # connections must not cross a fork, so the child starts afresh and leaves them alone.
        if state is None or state.pid != current_pid():
            state = self._local.state = _ThreadState()
            # Close the connections when the thread ends (its thread-local state is freed then).
            # Dropping them is not enough: a connection and its statement cache refer to each
            # other, so only the cyclic collector would free them, after thousands of requests.
            weakref.finalize(state, _close_connections, state.connections, state.pid)
            with self._lock:
                self._states.add(state)
        return state

    def _current_name(self) -> str:
        """The served file's name; one stat when the pointer has not changed."""
        try:
            st = os.stat(self._pointer_path)
        except FileNotFoundError:
            raise NoDataPublished("no data set has been published yet") from None
        except OSError as exc:
            raise BackendUnavailable(f"cannot read the data directory ({exc.strerror})") from exc
        signature = (st.st_ino, st.st_mtime_ns, st.st_size)
        cached = self._pointer
        if cached is not None and cached[0] == signature:
            return cached[1]
        try:
            name = json.loads(self._pointer_path.read_text(encoding="utf-8"))["file"]
        except FileNotFoundError:
            raise NoDataPublished("no data set has been published yet") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BackendUnavailable("the data pointer is unreadable") from exc
        if not (isinstance(name, str) and name.startswith(_PREFIX) and "/" not in name):
            raise BackendUnavailable("the data pointer is invalid")
        self._pointer = (signature, name)
        return name

    def _open(self, name: str) -> sqlite3.Connection:
        path = self.data_dir / name
        if not path.exists():
            raise BackendUnavailable("the published index file is missing")
        try:
            db = sqlite3.connect(
                f"file:{pathname2url(str(path))}?mode=ro",
                uri=True,
                check_same_thread=False,  # used by one thread only; close() may run elsewhere
                isolation_level=None,
            )
            db.execute("PRAGMA query_only = ON")
            db.execute("PRAGMA mmap_size = 268435456")
        except sqlite3.Error as exc:
            raise BackendUnavailable("cannot open the published index") from exc
        with self._lock:
            if name not in self._files:
                try:
                    info = _read_info(db)
                except BackendUnavailable:
                    db.close()
                    raise
                except sqlite3.Error as exc:
                    db.close()
                    raise BackendUnavailable("the published index is unreadable") from exc
                self._files[name] = _IndexFile(name, path, info)
                # Forget files superseded long ago (snapshots in progress hold their own
                # reference); names sort by publication time.
                for old in sorted(self._files)[:-_FILES_REMEMBERED]:
                    del self._files[old]
        return db

    @contextmanager
    def snapshot(self) -> Iterator[SQLiteSnapshot]:
        name = self._current_name()
        state = self._state()
        db = state.connections.get(name)
        if db is None:
            db = state.connections[name] = self._open(name)
        state.pins[name] += 1
        try:
            yield SQLiteSnapshot(db, self._files[name])
        except sqlite3.Error as exc:
            raise BackendUnavailable("the index could not answer") from exc
        finally:
            state.pins[name] -= 1
            if len(state.connections) > 1:
                self._close_stale(state, keep=name)

    def _close_stale(self, state: _ThreadState, keep: str) -> None:
        """Close this thread's connections to files no longer served and no longer pinned."""
        try:
            current = self._current_name()
        except (NoDataPublished, BackendUnavailable):
            current = keep
        for name in list(state.connections):
            if name != current and state.pins[name] == 0:
                db = state.connections.pop(name)
                del state.pins[name]
                db.close()

    def dataset_info(self) -> DatasetInfo | None:
        try:
            with self.snapshot() as snap:
                return snap.info
        except NoDataPublished:
            return None

    def ping(self) -> None:
        if not self.data_dir.is_dir():
            raise BackendUnavailable("the data directory is missing")
        try:
            with self.snapshot() as snap:
                snap._db.execute("SELECT 1").fetchone()
        except NoDataPublished:
            return

    def close(self) -> None:
        with self._lock:
            states = list(self._states)
            self._states = weakref.WeakSet()
        for state in states:
            for db in state.connections.values():
                db.close()
            state.connections.clear()
            state.pins.clear()
        self._local = threading.local()

    # -- publishing

    @contextmanager
    def import_lock(self) -> Iterator[None]:
        """Hold the exclusive import lock (ImportBusy when another import holds it).

        `publish` takes it on its own; an import command takes it around validation and publish
        together, so a second import is refused from its start."""
        state = self._state()
        if state.holds_import_lock:
            yield
            return
        handle = open(self.data_dir / LOCK, "a+b")  # noqa: SIM115 - held for the whole block
        try:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ImportBusy(
                    "another import is running; try again when it has finished"
                ) from None
            state.holds_import_lock = True
            try:
                yield
            finally:
                state.holds_import_lock = False
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        finally:
            handle.close()

    def publish(self, dataset: Dataset, progress: Progress = QUIET) -> DatasetInfo:
        with self.import_lock():
            published_at = datetime.now(UTC)
            dataset_id = f"{published_at:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(3)}"
            info = DatasetInfo(dataset_id, published_at, dataset.counts())
            name = f"{_PREFIX}{dataset_id}{_SUFFIX}"
            building = self.data_dir / f"{_PREFIX}{dataset_id}{_BUILDING}"
            try:
                _build(building, dataset, info, progress)
                with progress.stage("switching", 1) as advance:
                    os.replace(building, self.data_dir / name)
                    advance(1)
            except (sqlite3.Error, OSError) as exc:
                building.unlink(missing_ok=True)
                raise PublishFailed(f"could not write the new index: {exc}") from exc
            except BaseException:
                building.unlink(missing_ok=True)
                raise
            previous = self._read_pointer_name()
            self._write_pointer(name)
            self._remove_old(keep={name, previous})
            return info

    def _read_pointer_name(self) -> str | None:
        try:
            return self._current_name()
        except (NoDataPublished, BackendUnavailable):
            return None

    def _write_pointer(self, name: str) -> None:
        _write_pointer(self.data_dir, name)

    def backup(self, directory: Path) -> DatasetInfo:
        """Copy the served data set into `directory` (created if need be) with SQLite's backup
        API, beside a pointer naming it: that directory can be served as a data directory."""
        directory.mkdir(parents=True, exist_ok=True)
        with self.snapshot() as snap:
            backup_to(snap._db, directory / snap._file.name)
            name, info = snap._file.name, snap.info
        _write_pointer(directory, name)
        return info

    def _remove_old(self, keep: set[str | None]) -> None:
        """Delete index files two publishes old and files left by interrupted imports (only the
        lock holder runs this, so nothing is being built)."""
        for path in self.data_dir.iterdir():
            stem = path.name.removesuffix("-wal").removesuffix("-shm")
            if not stem.startswith(_PREFIX) and not path.name.startswith(f"{POINTER}."):
                continue
            if stem in keep:
                continue
            path.unlink(missing_ok=True)
            with self._lock:
                self._files.pop(stem, None)
