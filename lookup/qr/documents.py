"""Tokens for printed documents (State Department ID cards, OFM registrations) and the live check.

The token carries only the document's number; everything shown on a valid screen comes from the
live record at the moment of the scan, so a card revoked after printing reads "revoked" at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

from lookup.qr.keys import SigningKey
from lookup.qr.tokens import Claims, sign
from search_index.backend import Snapshot
from search_index.normalize import normalize_identifier, normalize_plate
from search_index.records import Person, Vehicle

DocumentKind = Literal["credential", "vehicle"]
DEFAULT_LIFETIME = timedelta(days=366)  # registrations run one year; used when no expiry is known
MAX_LIFETIME = timedelta(days=5 * 366)


class NotIssuable(Exception):
    """No token is issued for this document; `str()` is one line for the operator."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    kind: DocumentKind
    subject: str  # the normalized number or plate
    token: str
    claims: Claims


@dataclass(frozen=True, slots=True)
class LiveCheck:
    """The live record's verdict on a document whose token verified."""

    state: Literal["valid", "revoked", "expired"]
    reason: str = ""  # why not valid, in words (live status, never token content)
    facts: tuple[tuple[str, str], ...] = ()  # label/value pairs to compare with the document


def _end_of(day: date, zone: tzinfo) -> int:
    """The first second after `day` in `zone`: a document expiring on a date is good all that day
    where the officers are (the day answers use), not only until midnight UTC."""
    return int(datetime.combine(day + timedelta(days=1), time.min, zone).timestamp())


def _expiry(
    document_expiry: date | None, now: datetime, lifetime: timedelta | None, zone: tzinfo
) -> int:
    if document_expiry is None:
        return int((now + min(lifetime or DEFAULT_LIFETIME, MAX_LIFETIME)).timestamp())
    limit = now + min(lifetime or MAX_LIFETIME, MAX_LIFETIME)
    return min(_end_of(document_expiry, zone), int(limit.timestamp()))


def issue(
    snapshot: Snapshot,
    kind: DocumentKind,
    raw_subject: str,
    key: SigningKey,
    *,
    zone: tzinfo,
    now: datetime | None = None,
    lifetime: timedelta | None = None,
) -> IssuedToken:
    """Sign a token for a credential number or a plate that is valid in the published data.

    The token expires with the document (end of its expiry day in `zone`, DIPCHECK_TIMEZONE), or
    after `lifetime` if sooner; never later than MAX_LIFETIME."""
    moment = now or datetime.now(UTC)
    today = moment.astimezone(zone).date()
    if kind == "credential":
        try:
            subject = normalize_identifier(raw_subject)
        except ValueError as exc:
            raise NotIssuable(f"credential number: {exc}") from exc
        person = snapshot.find_credential(subject)
        if person is None:
            raise NotIssuable("no person holds this credential number in the published data")
        check = _check_person(person, snapshot, today)
        expiry = person.credential_expiry
    else:
        try:
            subject = normalize_plate(raw_subject)
        except ValueError as exc:
            raise NotIssuable(f"plate: {exc}") from exc
        vehicle = snapshot.get_vehicle(subject)
        if vehicle is None:
            raise NotIssuable("no vehicle has this plate in the published data")
        check = _check_vehicle(vehicle, snapshot, today)
        expiry = vehicle.registration_expiry
    if check.state != "valid":
        raise NotIssuable(f"not issued: {check.reason}")
    claims = Claims(
        kind=kind,
        subject=subject,
        issued_at=int(moment.timestamp()),
        expires_at=_expiry(expiry, moment, lifetime, zone),
    )
    return IssuedToken(kind, subject, sign(claims, key), claims)


def live_check(snapshot: Snapshot, claims: Claims, today: date) -> LiveCheck:
    """Compare a verified credential or vehicle token with the live record."""
    if claims.kind == "credential":
        person = snapshot.find_credential(claims.subject)
        if person is None:
            return LiveCheck("revoked", "the credential is no longer on record")
        return _check_person(person, snapshot, today)
    vehicle = snapshot.get_vehicle(claims.subject)
    if vehicle is None:
        return LiveCheck("revoked", "the registration is no longer on record")
    return _check_vehicle(vehicle, snapshot, today)


def person_revoked(person: Person) -> str | None:
    """Why the live record revokes a person's card (in words), or None: the one rule for the
    scan's live check and the public revocation list."""
    status = person.credential_status or "valid"
    if status != "valid":
        return f"the credential is recorded as {status.replace('_', ' ')}"
    if person.accreditation_status != "active":
        return f"the accreditation is {person.accreditation_status}"
    return None


def vehicle_revoked(vehicle: Vehicle) -> str | None:
    """Why the live record revokes a registration (in words), or None."""
    if vehicle.registration_status != "active":
        return f"the registration is recorded as {vehicle.registration_status}"
    return None


def _check_person(person: Person, snapshot: Snapshot, today: date) -> LiveCheck:
    revoked = person_revoked(person)
    if revoked is not None:
        return LiveCheck("revoked", revoked)
    if person.credential_expiry is not None and person.credential_expiry < today:
        return LiveCheck("expired", "the credential has expired")
    mission = snapshot.get_mission(person.mission_id)
    name = " ".join(part for part in (person.given_names, person.family_name) if part)
    facts = [
        ("Name", name),
        ("Mission", mission.name if mission else person.mission_id),
        ("Card type", (person.credential_type or "unknown").capitalize()),
        ("Card number", person.credential_number or ""),
        ("Card expires", person.credential_expiry.isoformat() if person.credential_expiry else ""),
    ]
    return LiveCheck("valid", facts=tuple((label, value) for label, value in facts if value))


def _check_vehicle(vehicle: Vehicle, snapshot: Snapshot, today: date) -> LiveCheck:
    revoked = vehicle_revoked(vehicle)
    if revoked is not None:
        return LiveCheck("revoked", revoked)
    if vehicle.registration_expiry is not None and vehicle.registration_expiry < today:
        return LiveCheck("expired", "the registration has expired")
    mission_id = vehicle.owner_mission_id
    if mission_id is None and vehicle.owner_person_id is not None:
        owner = snapshot.get_person(vehicle.owner_person_id)
        mission_id = owner.mission_id if owner else None
    mission = snapshot.get_mission(mission_id) if mission_id else None
    facts = [
        ("Plate", vehicle.plate),
        ("Make", vehicle.make or ""),
        ("Model", vehicle.model or ""),
        ("Colour", vehicle.color or ""),
        ("Mission", mission.name if mission else ""),
        (
            "Registration expires",
            vehicle.registration_expiry.isoformat() if vehicle.registration_expiry else "",
        ),
    ]
    return LiveCheck("valid", facts=tuple((label, value) for label, value in facts if value))
