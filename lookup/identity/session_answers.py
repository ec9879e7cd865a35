"""Answers an officer was shown, kept on the server for the life of their web session.

A web lookup is POST -> 303 -> GET: the POST runs the lookup (one audit record) and keeps the
rendered answer here under its reference; the GET page shows what was kept. A reload or Back
therefore shows the same answer without a second lookup or audit record, and without the
browser's "confirm form resubmission".

An answer belongs to the session that looked it up: its store id is the SHA-256 of the session key
and the reference, so neither another officer nor a later session of the same officer can reach
it, and it is deleted with the session (sign-out, timeout, disabled officer). Each session keeps
at most MAX_PER_SESSION answers, the oldest going first.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from lookup.store.base import CollectionSpec, StateStore

COLLECTION = "web_answers"
SPECS = (CollectionSpec(COLLECTION, indexed=("session_key",)),)
# A traffic stop takes a handful of lookups; twenty covers a shift's Back button without letting
# one session grow the store without bound.
MAX_PER_SESSION = 20


def _answer_id(session_key: str, reference: str) -> str:
    return hashlib.sha256(f"{session_key}\n{reference}".encode()).hexdigest()


def keep(store: StateStore, session_key: str, reference: str, html: str, now: datetime) -> None:
    """Keep one rendered answer for the session, dropping the session's oldest beyond the cap."""
    store.insert(
        COLLECTION,
        {
            "session_key": session_key,
            "reference": reference,
            "html": html,
            "kept_at": now.isoformat(),
        },
        id=_answer_id(session_key, reference),
    )
    kept = store.find(COLLECTION, session_key=session_key)  # oldest first
    for old in kept[:-MAX_PER_SESSION]:
        store.delete(COLLECTION, old.id)


def fetch(store: StateStore, session_key: str, reference: str) -> str | None:
    """The answer the session was shown under `reference`, or None."""
    stored = store.get(COLLECTION, _answer_id(session_key, reference))
    if stored is None or stored.data.get("session_key") != session_key:
        return None
    return str(stored.data["html"])


def forget_session(store: StateStore, session_key: str) -> int:
    """Delete every answer kept for a session (it ended)."""
    return sum(
        store.delete(COLLECTION, stored.id)
        for stored in store.find(COLLECTION, session_key=session_key)
    )
