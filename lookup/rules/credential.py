"""State Department ID card status as of the day of the lookup. The expiry is the last valid day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from search_index.records import CredentialStatus, CredentialType, Person

# `unknown`: a card number is on record without a status.
# The recorded status, or `unknown` when the record holds none.
CredentialToday = Literal[CredentialStatus, "unknown"]

_LABELS: dict[CredentialToday, str] = {
    "valid": "Card valid",
    "expired": "Card expired",
    "revoked": "Card revoked",
    "lost_or_stolen": "Card reported lost or stolen",
    "unknown": "Card status not on record",
}
_TYPE_LABELS: dict[CredentialType, str] = {
    "diplomatic": "Diplomatic (blue border)",
    "official": "Official (green border)",
    "consular": "Consular (red border)",
}
COLOUR_NOTE = "The card's border colour does not decide immunity; the recorded level does."
_NOTES: tuple[str, ...] = (COLOUR_NOTE,)
# A card reported revoked, lost or stolen may be shown by someone else.
_SUSPECT_NOTES: tuple[str, ...] = (
    COLOUR_NOTE,
    "The person showing this card may not be its holder: verify their identity.",
)


@dataclass(frozen=True, slots=True)
class Credential:
    number: str
    type: CredentialType | None
    type_label: str | None
    status: CredentialToday
    recorded_status: str | None
    label: str
    expiry: date | None
    notes: tuple[str, ...]


def credential_on(person: Person, today: date) -> Credential | None:
    """The person's card as of `today`, or None when no card number is on record."""
    if person.credential_number is None:
        return None
    status: CredentialToday = person.credential_status or "unknown"
    expiry = person.credential_expiry
    if status == "valid" and expiry is not None and expiry < today:
        status = "expired"
    return Credential(
        number=person.credential_number,
        type=person.credential_type,
        type_label=_TYPE_LABELS[person.credential_type] if person.credential_type else None,
        status=status,
        recorded_status=person.credential_status,
        label=_LABELS[status],
        expiry=person.credential_expiry,
        notes=_SUSPECT_NOTES if status in ("revoked", "lost_or_stolen") else _NOTES,
    )
