"""Each Twilio message is answered once.

Twilio's signature covers no timestamp, so a captured request stays valid for ever. Claiming the
MessageSid in the shared state store (a unique field, so two app instances racing on the same
message cannot both win) turns a replay into a no-op: the replay gets an empty reply, no second
lookup and no second audit record. The same holds for Twilio's own retries after a timeout.
"""

from __future__ import annotations

from datetime import UTC, datetime

from lookup.store.base import CollectionSpec, DuplicateKey, StateStore

COLLECTION = "sms_messages"
SPEC = CollectionSpec(COLLECTION, unique=("sid",))


def claim(store: StateStore, message_sid: str) -> bool:
    """True the first time a MessageSid is seen, False for every replay of it."""
    try:
        store.insert(
            COLLECTION,
            {"sid": message_sid, "at": datetime.now(UTC).isoformat(timespec="milliseconds")},
        )
    except DuplicateKey:
        return False
    return True
