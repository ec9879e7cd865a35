"""The public revocation list: which printed codes the live record no longer honours, for the
offline verifier (`/offline/verify`, which has no live record to ask).

A credential or registration code carries only its document number; a scan online compares it
with the live record (documents.live_check). Offline, the phone has only this list, fetched and
cached while it had a network. The list holds no personal data: no names, no numbers, only a
truncated SHA-256 of each revoked document's token type and number, under a context of its own.
A verifier that holds a code can compute its entry and look it up; the list alone tells nothing
about whom it concerns. What counts as revoked is documents.person_revoked / vehicle_revoked,
the rule the online scan applies. A document removed from the data set altogether cannot be
listed (the online check calls it revoked): the offline screen says revocations are known only
as of the data set's publication, and the officer calls the 24/7 number when in doubt.

Receipts and training certificates are never revoked (online neither: the signature is their
record), so they have no entries.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from flask import current_app

from lookup.qr.documents import person_revoked, vehicle_revoked
from lookup.qr.tokens import TokenKind, kind_code
from search_index.backend import Snapshot
from search_index.normalize import normalize_identifier, normalize_plate

REVOCATIONS_PATH: Final = "/.well-known/dipcheck-revocations.json"
REVOCATIONS_FORMAT: Final = "dipcheck-qr-revocations/1"
ENTRY_CONTEXT: Final = b"DipCheck revoked v1\x00"
ENTRY_BYTES: Final = 16  # 128 bits: no accidental collision among any number of documents
_CACHE_KEY: Final = "dipcheck.qr.revocations"


def entry(kind: TokenKind, subject: str) -> str:
    """The list entry of a code's document: hex of the first ENTRY_BYTES of
    SHA-256(ENTRY_CONTEXT + token type letter + subject in UTF-8)."""
    digest = hashlib.sha256(ENTRY_CONTEXT + bytes([kind_code(kind)]) + subject.encode("utf-8"))
    return digest.digest()[:ENTRY_BYTES].hex()


def revoked_entries(snapshot: Snapshot) -> list[str]:
    """The entries of every card and registration the live check would call revoked, sorted."""
    found: set[str] = set()
    for person in snapshot.credential_holders():
        if person.credential_number and person_revoked(person) is not None:
            found.add(entry("credential", normalize_identifier(person.credential_number)))
    for vehicle in snapshot.all_vehicles():
        if vehicle_revoked(vehicle) is not None:
            found.add(entry("vehicle", normalize_plate(vehicle.plate)))
    return sorted(found)


@dataclass(frozen=True, slots=True)
class _Computed:
    dataset_id: str
    entries: tuple[str, ...]


def listing(snapshot: Snapshot, issuer: str, now: datetime) -> dict[str, Any]:
    """The published list for the snapshot's data set. The entries are computed once per data
    set and process (a full pass over cards and vehicles), then served from memory."""
    cached: _Computed | None = current_app.extensions.get(_CACHE_KEY)
    dataset_id = snapshot.info.dataset_id
    if cached is None or cached.dataset_id != dataset_id:
        cached = _Computed(dataset_id, tuple(revoked_entries(snapshot)))
        current_app.extensions[_CACHE_KEY] = cached
    return {
        "format": REVOCATIONS_FORMAT,
        "issuer": issuer,
        # Revocations are known as of the publication of the data set they come from.
        "data_as_of": _iso(snapshot.info.published_at),
        "generated_at": _iso(now),
        "entry": "hex(SHA-256('DipCheck revoked v1' NUL + token type letter + number)[:16])",
        "revoked": list(cached.entries),
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
