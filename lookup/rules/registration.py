"""Registration status as of the day of the lookup. The expiry date is the last registered day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from search_index.records import RegistrationStatus, Vehicle

_LABELS: dict[RegistrationStatus, str] = {
    "active": "Registered",
    "suspended": "Registration suspended",
    "expired": "Registration expired",
    "revoked": "Registration revoked",
    "stolen": "Plates reported stolen",
}
# Plates are U.S. Government property: stolen plates and plates without a valid registration
# (decal) may be confiscated.
_CONFISCATION: dict[RegistrationStatus, str] = {
    "stolen": "Plates reported stolen: they may be confiscated. Report the recovery to OFM.",
    "revoked": "Registration revoked: the plates may be confiscated.",
    "expired": "No valid registration decal: the plates may be confiscated.",
}


@dataclass(frozen=True, slots=True)
class Registration:
    status: RegistrationStatus
    recorded_status: RegistrationStatus
    label: str
    expiry: date | None
    may_confiscate_plates: bool
    notes: tuple[str, ...]


def registration_on(vehicle: Vehicle, today: date) -> Registration:
    status = vehicle.registration_status
    expiry = vehicle.registration_expiry
    if status == "active" and expiry is not None and expiry < today:
        status = "expired"
    notes: list[str] = []
    if status in _CONFISCATION:
        notes.append(_CONFISCATION[status])
    if status == "suspended":
        notes.append("Registration suspended: call OFM's Diplomatic Motor Vehicle program.")
    return Registration(
        status=status,
        recorded_status=vehicle.registration_status,
        label=_LABELS[status],
        expiry=vehicle.registration_expiry,
        may_confiscate_plates=status in _CONFISCATION,
        notes=tuple(notes),
    )
