"""Answers computed once and reused: the part of a lookup's answer that depends only on what was
asked, the published data set and the day.

A lookup's answer is its matches (built from the records by lookup/answers/build.py) plus what
belongs to the one request: the reference, the query as typed, the audit record. The matches depend
on the published data set, the local calendar day (expiries, insurance, points windows), the query
kind, the normalized value and its options (date of birth, country, whether dates of birth are
shown), and on the settings the answer context reads (one settings object per app). Within one
key they are the same for every caller, so `lookup.answers.service` keeps them here and builds only
the per-request part on a hit. What an answer shows about the current time beyond the day (a
`data_stale` flag, the text format's age) must be applied after the cache, never inside it.

Invalidation:
- a publish changes the data set id, a new day changes the day: both are part of the key, so an
  old entry is never served again (and ages out of the LRU);
- anything else an answer comes to depend on (say licence points an agency records in DipCheck's
  state store) must bump the *generation*, which is also part of the key. `bump()` does so in this
  process at once; `set_generation_source(read)` installs a reader of a shared counter (e.g. one
  kept in the state store) that is asked at most once per `GENERATION_POLL_SECONDS` per process,
  so other workers see a change within that time without a store read per lookup.
- licence points depend on OFM assessments: each app's cache polls its own state store's
  `incidents.assessments_mark()` the same way (at most once per `GENERATION_POLL_SECONDS`), and
  the process that records an assessment calls `bump()`. If that read fails, the generation is
  unknown and the lookup neither reads nor fills the cache (it reads the reports itself, and
  fails closed as it would without a cache): an answer with old points is never served.

Each entry also keeps its matches written as the JSON API writes them (`matches_json`), so a hit
serializes only the per-request part of its answer. Memory is bounded: entries are charged their
JSON size times `OBJECT_OVERHEAD` (what the Python objects take) plus the JSON bytes they keep,
and the least recently used are dropped beyond `DIPCHECK_ANSWER_CACHE_MB`. Cached matches are
shared between requests and threads: renderers read them and never change them (the answer
recorder asks each query twice to catch one that does).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app

from lookup.config import current_settings
from lookup.extensions import state_store
from lookup.store.base import StoreError

__all__ = [
    "GENERATION_POLL_SECONDS",
    "AnswerCache",
    "CacheKey",
    "CachedAnswer",
    "app_cache",
    "bump",
    "generation",
    "set_generation_source",
]

GENERATION_POLL_SECONDS = 1.0
# Python dicts and strings of an answer take up to about this many times its compact JSON
# (tracemalloc, demo data: 1.65 for plate answers, 0.8 for name searches; strings are shared).
OBJECT_OVERHEAD = 2


@dataclass(frozen=True, slots=True)
class CacheKey:
    dataset_id: str
    day: date
    generation: tuple[Hashable, ...]
    kind: str
    normalized: str
    options: tuple[Hashable, ...]


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """What every request with the same key shares (read only)."""

    matches: list[dict[str, Any]]
    ids: list[str]
    summary: dict[str, Any]
    # `matches` as the JSON API writes them (lookup.http.json_provider.compact_json); None when
    # the answer is not kept (no cache) or orjson cannot write it.
    matches_json: bytes | None = None


class AnswerCache:
    """A least-recently-used map of CacheKey to CachedAnswer, bounded in (estimated) bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[CacheKey, tuple[CachedAnswer, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        # The reader of this app's shared mark (None: none) and the last value it gave.
        self.mark_source: Callable[[], str] | None = None
        self._mark: str | None = None
        self._mark_checked = float("-inf")
        self._mark_lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def generation(self) -> tuple[Hashable, ...] | None:
        """The generation part of this cache's keys, or None when the shared mark cannot be
        read (then nothing may be served from, or kept in, the cache)."""
        mark = ""
        read = self.mark_source
        if read is not None:
            # Held while reading: one store read per interval, however many threads ask.
            with self._mark_lock:
                now = time.monotonic()
                if self._mark is None or now - self._mark_checked >= GENERATION_POLL_SECONDS:
                    try:
                        self._mark = read()
                    except StoreError:
                        self._mark = None
                        return None
                    self._mark_checked = now
                mark = self._mark
        return (*generation(), mark)

    def get(self, key: CacheKey) -> CachedAnswer | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: CacheKey, answer: CachedAnswer) -> None:
        """Keep `answer` (one without its `matches_json` is not kept: every hit needs it)."""
        if answer.matches_json is None:
            return
        cost = len(answer.matches_json) * (OBJECT_OVERHEAD + 1) + 1024
        if cost > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (answer, cost)
            self._bytes += cost
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


_EXTENSION_KEY = "dipcheck.answer_cache"
_create_lock = threading.Lock()


def app_cache() -> AnswerCache:
    """The current app's cache, sized by `DIPCHECK_ANSWER_CACHE_MB` (one per app and process)."""
    extensions = current_app.extensions
    cache: AnswerCache | None = extensions.get(_EXTENSION_KEY)
    if cache is None:
        with _create_lock:
            cache = extensions.get(_EXTENSION_KEY)
            if cache is None:
                cache = AnswerCache(current_settings().answer_cache_mb * 1024 * 1024)
                cache.mark_source = _assessments_mark
                extensions[_EXTENSION_KEY] = cache
    return cache


def _assessments_mark() -> str:
    """The current app's own state store's assessment mark (answers show licence points)."""
    return state_store().incidents.assessments_mark()


class _Generation:
    """This process's own counter and the last value read from the shared source."""

    def __init__(self) -> None:
        self.local = 0
        self.shared = 0
        self.read: Callable[[], int] | None = None
        self.checked = float("-inf")
        self.lock = threading.Lock()

    def current(self) -> tuple[int, int]:
        read = self.read
        if read is not None:
            now = time.monotonic()
            if now - self.checked >= GENERATION_POLL_SECONDS:
                with self.lock:
                    self.checked = now
                    self.shared = read()
        return (self.local, self.shared)


_generation = _Generation()


def generation() -> tuple[int, int]:
    """The generation part of every key: (this process's bumps, the shared counter)."""
    return _generation.current()


def bump() -> None:
    """Invalidate every cached answer of this process at once (e.g. after a state change that
    answers show). Other processes learn of it through the shared generation source."""
    with _generation.lock:
        _generation.local += 1


def set_generation_source(read: Callable[[], int] | None) -> None:
    """Install the reader of a counter shared by all processes (None: none). A reader that
    raises makes the lookup fail like a store failure would; it is read again a second later."""
    with _generation.lock:
        _generation.read = read
        _generation.checked = float("-inf")
