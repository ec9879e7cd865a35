"""The audit journal: what makes an SQLite audit record durable without a lock-held fsync.

An audit row is committed to SQLite with `synchronous=NORMAL` (visible to every reader at once,
its reference checked unique at once, but not yet forced to disk), then the same row is appended
to this process's journal file and `fdatasync`ed. Only then does `append_audit` return. So an
acknowledged record is on disk in the journal even if the machine loses power before SQLite's
write-ahead log is synced, and the fsync happens outside SQLite's single write lock: two gunicorn
workers sync their own files side by side instead of queueing behind each other's commit.

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


def decode_lines(data: bytes) -> Iterator[AuditRow]:
    """The complete rows of a journal's contents. What follows the last newline is the zeros
    not yet written, or a line that was being written when the process died (its record was
    never acknowledged); either is skipped, and so is any line that does not hold a whole row."""
    complete, _, _partial = data.rpartition(b"\n")
    for line in complete.split(b"\n"):
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(row, list) and len(row) == ROW_FIELDS:
            yield tuple(row)
        elif isinstance(row, list) and len(row) == OLDER_ROW_FIELDS:
            # A journal left by a release before the fields added later: those are None.
            yield (*row, *(None,) * (ROW_FIELDS - OLDER_ROW_FIELDS))


class Journal:
    """This process's journal file, opened on first use (and again after a fork)."""

    def __init__(self, directory: Path, rotate_bytes: int = ROTATE_BYTES) -> None:
        self.directory = directory
        self.rotate_bytes = rotate_bytes
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pid: int | None = None
        self._size = 0

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
        self._fd, self._pid, self._size = fd, current_pid(), 0
        return fd

    @staticmethod
    def _zero(fd: int, size: int) -> None:
        block = bytes(min(size, 1 << 20))
        for offset in range(0, size, len(block) or 1):
            os.pwrite(fd, block[: size - offset], offset)
        os.fsync(fd)

    def append(self, row: AuditRow) -> bool:
        """Write one row and sync it; True when the file has reached its rotation size."""
        line = encode(row)
        with self._lock:
            fd = self._open()
            os.pwrite(fd, line, self._size)
            self._size += len(line)
            full = self._size >= self.rotate_bytes
        os.fdatasync(fd)  # outside the lock: threads of one process sync side by side
        return full

    def empty(self, synced: Callable[[], None]) -> None:
        """Zero this process's file and write from its start again. `synced()` must make SQLite
        durable past every row the file holds; it runs while appends wait, and every row in the
        file was inserted into SQLite before it was written here, so nothing is dropped that
        SQLite does not keep."""
        with self._lock:
            if self._fd is None or self._pid != current_pid():
                return
            synced()
            self._zero(self._fd, self._size)
            self._size = 0

    def orphans(self) -> Iterator[tuple[Path, int]]:
        """Files of processes that have gone, each locked (fd) for the caller to replay and then
        release with `discard`. A file another live process holds is skipped."""
        try:
            paths = sorted(self.directory.glob(f"*{SUFFIX}"))
        except OSError:
            return
        for path in paths:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:  # another process replayed it first
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # its writer is alive (possibly this process)
                os.close(fd)
                continue
            yield path, fd

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

    def close(self) -> None:
        with self._lock:
            if self._fd is not None and self._pid == current_pid():
                os.close(self._fd)
            self._fd = self._pid = None
