"""One-time enrolment codes: the second proof an officer shows before the TOTP secret.

An officer account is created (or its authenticator reset) with a password *and* a one-time
enrolment code, both handed over by whoever created it (`dipcheck officer create`, the admin's
Officers page, `dipcheck officer reset-authenticator`, the supervisor's "New authenticator"). At
the first sign-in the officer types the code where the authenticator code will later go; only
then does the enrolment page show the TOTP secret. A password alone (phished, guessed, reused)
therefore never reveals the secret of an account that has not enrolled yet.

The code is 12 random digits (about 40 bits, typed on a phone's number pad), stored only as an
HMAC under the app's secret key, good for ENROLMENT_CODE_LIFETIME, and used once: the first
correct use clears it (an optimistic-concurrency update, so two browsers cannot both use it).
A wrong or expired code counts as a failed sign-in toward the lockout.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Final

from flask import current_app

from lookup.identity import accounts
from lookup.identity.accounts import Officer
from lookup.store.base import StateStore, VersionConflict

ENROLMENT_CODE_LIFETIME: Final = timedelta(hours=72)
CODE_DIGITS: Final = 12
_HASH_FIELD: Final = "enrolment_code_hash"
_EXPIRES_FIELD: Final = "enrolment_code_expires_at"


def _digest(code: str) -> str:
    key = str(current_app.secret_key).encode("utf-8")
    return hmac.new(key, b"enrolment-code:" + code.encode("ascii"), hashlib.sha256).hexdigest()


def shown(code: str) -> str:
    """The code in groups of four, as printed and typed (spaces are ignored when typed)."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def issue_enrolment_code(store: StateStore, officer: Officer, now: datetime) -> str:
    """A new code for `officer` (replacing any earlier one); returns it in clear, once."""
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    fresh = accounts.get_officer(store, officer.id) or officer
    accounts.update_officer(
        store,
        fresh,
        {_HASH_FIELD: _digest(code), _EXPIRES_FIELD: (now + ENROLMENT_CODE_LIFETIME).isoformat()},
    )
    return code


def use_enrolment_code(store: StateStore, officer: Officer, typed: str, now: datetime) -> bool:
    """True, and the code is spent, when `typed` is the officer's unexpired enrolment code."""
    code = "".join(ch for ch in typed if not ch.isspace())
    stored = store.get(accounts.OFFICERS, officer.id)
    if stored is None or len(code) != CODE_DIGITS or not code.isdigit():
        return False
    expected = stored.data.get(_HASH_FIELD)
    expires = stored.data.get(_EXPIRES_FIELD)
    if not expected or not expires or now >= datetime.fromisoformat(expires):
        return False
    if not hmac.compare_digest(str(expected), _digest(code)):
        return False
    try:
        accounts.update_officer(
            store, Officer.of(stored), {_HASH_FIELD: None, _EXPIRES_FIELD: None}
        )
    except VersionConflict:  # used (or replaced) at the same moment elsewhere
        return False
    return True
