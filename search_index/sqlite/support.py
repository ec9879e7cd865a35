"""What DipCheck needs of the SQLite library Python was built with, and consistent copies of a live
database (`dipcheck backup`).

SQLite 3.34.0 or newer, because of the features the embedded set-up uses:
- the FTS5 `trigram` tokenizer (new in 3.34.0), which answers partial-plate patterns
  (search_index/sqlite/backend.py);
- JSON functions (`json_extract`, built in from 3.38.0, an extension compiled into most earlier
  builds), which index the state store's documents (lookup/store/sqlite/store.py);
- `INSERT ... ON CONFLICT DO UPDATE` (3.24.0) and WAL mode.
An older or stripped-down library would fail on the first partial-plate lookup or the first
account read; checking at start-up turns that into one line before anything is served.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

MINIMUM_SQLITE = (3, 34, 0)


class SQLiteUnsupported(Exception):
    """The SQLite library lacks what DipCheck needs; `str()` is one line for the operator."""


def check_sqlite() -> None:
    """Raise SQLiteUnsupported unless the library is new enough and has FTS5 and JSON."""
    need = ".".join(map(str, MINIMUM_SQLITE))
    if sqlite3.sqlite_version_info < MINIMUM_SQLITE:
        raise SQLiteUnsupported(
            f"SQLite {sqlite3.sqlite_version} is too old: DipCheck needs {need} or newer "
            "(FTS5 trigram tokenizer); use a Python built with a newer SQLite"
        )
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(plate, tokenize = 'trigram')")
        probe.execute("""SELECT json_extract('{"a": 1}', '$.a')""")
    except sqlite3.Error as error:
        raise SQLiteUnsupported(
            f"SQLite {sqlite3.sqlite_version} lacks FTS5 or JSON functions ({error}); "
            f"DipCheck needs a build of {need} or newer with both"
        ) from None
    finally:
        probe.close()


def backup_to(source: sqlite3.Connection, target: Path) -> None:
    """Copy the database open as `source` to the file `target` with SQLite's online backup API:
    one step, under one read transaction, so the copy is the database as of one moment while
    writers go on (WAL readers do not block them). The copy is checked (`integrity_check`),
    synced and renamed into place, so `target` is never a half-written file."""
    partial = target.with_name(f"{target.name}.partial")
    partial.unlink(missing_ok=True)
    copy = sqlite3.connect(partial, isolation_level=None)
    try:
        source.backup(copy)
        (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"the copy of {target.name} is damaged: {verdict}")
    finally:
        copy.close()  # the last connection: a write-ahead log is folded in and removed
    descriptor = os.open(partial, os.O_RDONLY)  # the copy: no connection of ours holds it
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(partial, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
