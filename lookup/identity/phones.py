"""Enrolled officer phones: the only numbers whose texts get data.

A phone number is kept only as a keyed hash (HMAC-SHA256 under a key derived from the app's
secret key), so a copy of the state store or of the audit log does not list officers' numbers,
and hashes cannot be reversed by hashing the few billion possible numbers without the secret.
The same hash is the `client` of SMS audit records. Consequence: rotating the secret key
orphans every enrolment; phones must then be enrolled again.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app

from lookup.store.base import CollectionSpec, StateStore, Stored

COLLECTION = "sms_phones"
SPEC = CollectionSpec(COLLECTION, unique=("phone_hash",), indexed=("officer_id",))

# Separates this use of the secret key from its others (sessions, QR tokens).
_KEY_LABEL = b"dipcheck/sms/phone-hash/v1"

_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
_TYPED_SEPARATORS = re.compile(r"[\s().\-/]+")
NANP_DIGITS = 10  # a bare ten-digit number is a North American one (+1)


class InvalidPhone(ValueError):
    """Not a telephone number in a form we can enrol."""


def normalize_phone(raw: str) -> str:
    """An E.164 number (`+15715550123`). Accepts what an admin types: spaces, dots, hyphens,
    brackets, a leading 00 for +, and a bare ten-digit North American number."""
    compact = _TYPED_SEPARATORS.sub("", raw.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.isdigit() and len(compact) == NANP_DIGITS:
        compact = "+1" + compact
    elif compact.isdigit() and len(compact) == NANP_DIGITS + 1 and compact.startswith("1"):
        compact = "+" + compact
    if not _E164.fullmatch(compact):
        raise InvalidPhone("phone must be an international number such as +15715550123")
    return compact


def is_e164(value: str) -> bool:
    return _E164.fullmatch(value) is not None


def phone_hash(secret_key: str | bytes, e164: str) -> str:
    """The keyed hash that stands for a phone number everywhere it is stored."""
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    key = hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()
    return hmac.new(key, e164.encode("ascii"), hashlib.sha256).hexdigest()


def app_phone_hash(e164: str) -> str:
    """The phone's hash under the current app's secret key (the one the webhook and the CLI
    both use)."""
    secret = current_app.config["SECRET_KEY"]
    if not secret:
        raise RuntimeError("SECRET_KEY is not set: phone numbers cannot be hashed")
    return phone_hash(secret, e164)


@dataclass(frozen=True, slots=True)
class Enrolment:
    id: str
    phone_hash: str
    officer_id: str
    agency_id: str
    disabled: bool
    opted_out: bool

    @classmethod
    def from_stored(cls, stored: Stored) -> Enrolment:
        data = stored.data
        return cls(
            id=stored.id,
            phone_hash=str(data["phone_hash"]),
            officer_id=str(data["officer_id"]),
            agency_id=str(data["agency_id"]),
            disabled=bool(data.get("disabled", False)),
            opted_out=bool(data.get("opted_out", False)),
        )


class AlreadyEnrolled(Exception):
    """The number is enrolled to another officer."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def find(store: StateStore, hashed: str) -> Enrolment | None:
    stored = store.find_one(COLLECTION, phone_hash=hashed)
    return Enrolment.from_stored(stored) if stored else None


def enrol(store: StateStore, hashed: str, *, officer_id: str, agency_id: str) -> Enrolment:
    """Enrol a phone to an officer, or re-enable its enrolment to the same officer.
    Raises AlreadyEnrolled when another officer holds the number: an admin must disable that
    enrolment first, so a number never silently changes hands (carriers recycle numbers)."""
    existing = find(store, hashed)
    if existing is not None:
        if existing.officer_id != officer_id:
            raise AlreadyEnrolled("this number is enrolled to another officer")
        updated = store.update(
            COLLECTION, existing.id, {"disabled": False, "agency_id": agency_id, "at": _now()}
        )
        return Enrolment.from_stored(updated)
    stored = store.insert(
        COLLECTION,
        {
            "phone_hash": hashed,
            "officer_id": officer_id,
            "agency_id": agency_id,
            "disabled": False,
            "opted_out": False,
            "enrolled_at": _now(),
            "at": _now(),
        },
    )
    return Enrolment.from_stored(stored)


def set_disabled(store: StateStore, enrolment: Enrolment, disabled: bool) -> Enrolment:
    return Enrolment.from_stored(
        store.update(COLLECTION, enrolment.id, {"disabled": disabled, "at": _now()})
    )


def set_opted_out(store: StateStore, enrolment: Enrolment, opted_out: bool) -> Enrolment:
    """Remember STOP/START so the web profile can tell an officer why texts go unanswered
    (after STOP the carrier and Twilio drop every reply until START)."""
    return Enrolment.from_stored(
        store.update(
            COLLECTION, enrolment.id, {"opted_out": opted_out, "opted_out_changed_at": _now()}
        )
    )


def of_officer(store: StateStore, officer_id: str) -> list[Enrolment]:
    return [Enrolment.from_stored(s) for s in store.find(COLLECTION, officer_id=officer_id)]


def sms_status(enrolments: list[Enrolment]) -> str:
    """What an officer's enrolled phones can do, in words for the officer lists (web and CLI):
    after STOP the carrier drops every reply until START, so an opted-out phone reads so."""
    live = [e for e in enrolments if not e.disabled]
    if not live:
        return "no phone enrolled"
    opted_out = sum(e.opted_out for e in live)
    phones = f"{len(live)} phone{'s' if len(live) != 1 else ''}"
    if opted_out == 0:
        return f"{phones} enrolled"
    if opted_out == len(live):
        return f"{phones} enrolled, opted out (STOP): texts go unanswered until START"
    return f"{phones} enrolled, {opted_out} opted out (STOP)"
