"""The in-process cache of checked API keys: a presented key's principal, trusted for a few seconds.

`DIPCHECK_APIKEY_CACHE_SECONDS` (default 5) says how long, so a busy agency system does not cost a
store read per lookup. Revoking a key (lookup/identity/accounts.py) drops it here at once, so a
revocation made in this process takes effect immediately; one made elsewhere (the CLI, another
worker) within that many seconds. It sits below both accounts, which forgets, and auth, which
reads and fills it.
"""

from __future__ import annotations

import threading
import time

from lookup.identity.principal import Principal

_CACHE_LIMIT = 10_000


class KeyCache:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, ttl: float) -> Principal | None:
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] > ttl:
            return None
        return entry[1]

    def put(self, key: str, principal: Principal) -> None:
        with self._lock:
            if len(self._entries) >= _CACHE_LIMIT:
                self._entries.clear()
            self._entries[key] = (time.monotonic(), principal)

    def forget_actor(self, actor: str) -> None:
        with self._lock:
            for key in [k for k, (_, p) in self._entries.items() if p.actor == actor]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


api_keys = KeyCache()


def forget_api_key(key_id: str) -> None:
    """Drop a revoked key (by its visible id) from this process's cache."""
    api_keys.forget_actor(f"apikey:{key_id}")


def clear_cache() -> None:
    api_keys.clear()
