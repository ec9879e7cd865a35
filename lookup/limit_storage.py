"""The in-process rate-limit storage behind `DIPCHECK_RATELIMIT_STORAGE_URI=memory://`.

The `limits` package's memory storage expires old entries from a timer thread that it starts
anew whenever the previous one has finished, at most 10 ms earlier: under steady traffic that is
a thread start every few requests, which measurably costs each lookup CPU and latency. This
subclass keeps the same counting and instead sweeps expired entries inline, at most once a
second, from whichever request comes along; a moving window also keeps no more entries per key
than its limit. Expiry stays exact: each check compares entry times itself, the sweep only
frees memory.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from limits.storage import MemoryStorage

SCHEME = "dipcheck-memory"
SWEEP_SECONDS = 1.0


class SweepingMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012 (the attribute limits' registry reads)

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()  # the one timer the parent starts; we sweep inline instead
        self._sweep_lock = threading.Lock()
        self._next_sweep = time.monotonic() + SWEEP_SECONDS

    # Replaces MemoryStorage's private __schedule_expiry, which every counting call invokes.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
            # The parent leaves an empty list behind for a key whose entries all expired.
            for key in [key for key, events in self.events.items() if not events]:
                with self.locks[key]:
                    if not self.events.get(key):
                        self.events.pop(key, None)
                        self.locks.pop(key, None)
        finally:
            self._sweep_lock.release()

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        with self.locks[key]:
            acquired = super().acquire_entry(key, limit, expiry, amount)
            # Only the newest `limit` entries can ever decide a moving-window check.
            del self.events.get(key, [])[limit:]
        return acquired


def limiter_storage_uri(configured: str) -> str:
    """The URI Flask-Limiter is given: `memory://` means this storage, others pass through."""
    return f"{SCHEME}://" if configured == "memory://" else configured
