"""The audit journal: what makes an SQLite audit record durable without a lock-held fsync.

An audit row is appended to this process's journal file and `fdatasync`ed; only then does
`append_audit` return. So an acknowledged record is on disk in the journal, and the fsync happens
outside SQLite's single write lock: two gunicorn workers sync their own files side by side
instead of queueing behind each other's commit. The journal also remembers the rows it holds
that SQLite does not have yet (the "unflushed" rows): the store inserts them into SQLite
(`synchronous=NORMAL`: visible to readers, not yet forced to disk) a batch at a time, in the
order they were journaled, so the rows of a journal that SQLite has are always a prefix of it.
A reader of another process finds the rest by reading the file from its end (`unflushed_tail`).

Each process writes its own file (`<pid>-<random>.jsonl`) and holds an exclusive `flock` on it for
as long as it lives. A file nobody holds belongs to a process that has gone; when a store opens it
replays such files (rows SQLite lost are inserted again, rows it kept are skipped by reference),
syncs SQLite and deletes them. A line cut short by a crash was never acknowledged and is dropped.
A live file is emptied once SQLite's files have been synced past everything it holds, so it
stays small.

A file is created full of zeros and written in place, so syncing a record only flushes data: an
appended file would also make the file system commit its new size on every record, which costs
about half as much again.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from lookup.store.audit_record import OLDER_ROW_FIELDS, ROW_FIELDS
from search_index.process_id import current_pid

# One journal line is the audit row exactly as inserted (lookup/store/audit_record.sqlite_row).
AuditRow = tuple[Any, ...]
# About 2,500 records: past this size the journal is emptied (once SQLite is synced). Every
# process zero-fills a file this large when it writes its first record.
ROTATE_BYTES = 1024 * 1024
SUFFIX = ".jsonl"


def encode(row: AuditRow) -> bytes:
    return orjson.dumps(row) + b"\n"


def _decode(line: bytes) -> AuditRow | None:
    try:
        row = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if isinstance(row, list) and len(row) == ROW_FIELDS:
        return tuple(row)
    if isinstance(row, list) and len(row) == OLDER_ROW_FIELDS:
        # A journal left by a release before the fields added later: those are None.
        return (*row, *(None,) * (ROW_FIELDS - OLDER_ROW_FIELDS))
    return None


def _complete_lines(data: bytes) -> list[bytes]:
    """What follows the last newline is the zeros not yet written, or a line being written
    (by a live process) or cut short (by a crash): its record was not acknowledged yet."""
    complete, newline, _partial = data.rpartition(b"\n")
    return complete.split(b"\n") if newline else []


def decode_lines(data: bytes) -> Iterator[AuditRow]:
    """The complete rows of a journal's contents; any line that does not hold a whole row is
    skipped."""
    for line in _complete_lines(data):
        if (row := _decode(line)) is not None:
            yield row


def unflushed_tail(data: bytes, in_sqlite: Callable[[str], bool]) -> list[AuditRow]:
    """The rows of a journal's contents after the newest one SQLite has (`in_sqlite(reference)`),
    oldest first: read from the end, so a reader decodes a batch of rows, not the whole file.
    Correct because the rows SQLite has of a journal are a prefix of it (see the module's
    docstring); a line being written as the file was read is incomplete and never a row."""
    tail: list[AuditRow] = []
    for line in reversed(_complete_lines(data)):
        row = _decode(line)
        if row is None:
            continue
        if in_sqlite(row[0]):
            break
        tail.append(row)
    tail.reverse()
    return tail


class Journal:
    """This process's journal file, opened on first use (and again after a fork)."""

    def __init__(self, directory: Path, rotate_bytes: int = ROTATE_BYTES) -> None:
        self.directory = directory
        self.rotate_bytes = rotate_bytes
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pid: int | None = None
        self._size = 0
        # Rows written here that SQLite does not have yet, oldest first, and their references.
        self._unflushed: list[AuditRow] = []
        self._unflushed_references: set[str] = set()

    def _open(self) -> int:
        if self._fd is not None and self._pid == current_pid():
            return self._fd
        # A child forked from a writer must not share (or unlock) its parent's file.
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{current_pid()}-{secrets.token_hex(6)}{SUFFIX}"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._zero(fd, self.rotate_bytes)
            # The file's name must survive a power loss as well as its contents.
            directory = os.open(self.directory, os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except BaseException:
            os.close(fd)
            raise
        # A forked child's copy of its parent's unflushed rows is the parent's to insert.
        self._unflushed, self._unflushed_references = [], set()
        self._fd, self._pid, self._size = fd, current_pid(), 0
        return fd

    @staticmethod
    def _zero(fd: int, size: int) -> None:
        block = bytes(min(size, 1 << 20))
        for offset in range(0, size, len(block) or 1):
            os.pwrite(fd, block[: size - offset], offset)
        os.fsync(fd)

    def append(self, row: AuditRow) -> int:
        """Write one row and sync it; returns how many rows SQLite does not have yet. The row
        counts as unflushed from the moment it is written (before its sync returns), so
        unflushed rows are always the newest rows of the file."""
        line = encode(row)
        with self._lock:
            fd = self._open()
            os.pwrite(fd, line, self._size)
            self._size += len(line)
            self._unflushed.append(row)
            self._unflushed_references.add(row[0])
            waiting = len(self._unflushed)
        os.fdatasync(fd)  # outside the lock: threads of one process sync side by side
        return waiting

    @property
    def full(self) -> bool:
        """Whether the file has reached its rotation size."""
        return self._size >= self.rotate_bytes

    def holds_unflushed(self, reference: str) -> bool:
        return reference in self._unflushed_references

    def flush(self, insert: Callable[[list[AuditRow]], None]) -> None:
        """Hand the unflushed rows to `insert` (which commits them to SQLite, or raises and
        they stay unflushed). Under the lock, so batches reach SQLite in the file's order."""
        with self._lock:
            self._flush(insert)

    def _flush(self, insert: Callable[[list[AuditRow]], None]) -> None:
        if not self._unflushed or self._pid != current_pid():
            return
        insert(self._unflushed)
        self._unflushed, self._unflushed_references = [], set()

    def empty(self, insert: Callable[[list[AuditRow]], None], synced: Callable[[], None]) -> None:
        """Zero this process's file and write from its start again. The unflushed rows are
        inserted first (`insert`) and `synced()` must then make SQLite durable past every row
        the file holds; both run while appends wait, so nothing is dropped that SQLite does not
        keep."""
        with self._lock:
            if self._fd is None or self._pid != current_pid():
                return
            self._flush(insert)
            synced()
            self._zero(self._fd, self._size)
            self._size = 0

    def _opened(self) -> Iterator[tuple[Path, int]]:
        """Every journal file in the directory, by name, opened read-only for the caller to
        close; a file removed since the listing (another process replayed it, so SQLite has its
        rows) is skipped."""
        try:
            paths = sorted(self.directory.glob(f"*{SUFFIX}"))
        except OSError:
            return
        for path in paths:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            yield path, fd

    def orphans(self) -> Iterator[tuple[Path, int]]:
        """Files of processes that have gone, each locked (fd) for the caller to replay and then
        release with `discard`. A file another live process holds is skipped."""
        for path, fd in self._opened():
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # its writer is alive (possibly this process)
                os.close(fd)
                continue
            yield path, fd

    def contents(self) -> Iterator[bytes]:
        """What every journal file in the directory holds right now, live or not, unlocked:
        a reader's view of the rows their writers have acknowledged."""
        for _path, fd in self._opened():
            try:
                data = self.read(fd)
            finally:
                os.close(fd)
            yield data

    @staticmethod
    def read(fd: int) -> bytes:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def discard(path: Path, fd: int) -> None:
        try:
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)

    def close(self, insert: Callable[[list[AuditRow]], None]) -> None:
        """Insert the unflushed rows (`insert`) and close the file. If inserting fails, the
        rows stay in the file, which the next store to open replays."""
        with self._lock:
            if self._fd is not None and self._pid == current_pid():
                try:
                    self._flush(insert)
                finally:
                    os.close(self._fd)
            self._fd = self._pid = None
            self._unflushed, self._unflushed_references = [], set()
