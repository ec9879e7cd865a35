"""What a supervisor or an administrator does to an officer's account, the same from the CLI and
from the web's Officers page: unlock, disable or enable, set a password, reset the authenticator.

Each operation writes with the optimistic retry of `accounts.update_officer_with_retry`, so a
sign-in counting a failure at the same moment neither loses the change nor has it undone, and
ends the officer's web sessions inside the operation wherever the change must throw them out
(disabled, new password, new authenticator). Unlocking leaves open sessions alone, like the lock
itself: a lockout stops new sign-ins only (lookup/identity/sessions.py). The callers check who
may act on whom and write the audit record; nothing here knows about a channel.
"""

from __future__ import annotations

from datetime import datetime

import pyotp
from werkzeug.security import generate_password_hash

from lookup.identity import accounts
from lookup.identity.accounts import Officer
from lookup.identity.enrolment import issue_enrolment_code
from lookup.identity.sessions import end_officer_sessions
from lookup.store.base import StateStore


def unlock(store: StateStore, officer: Officer) -> Officer:
    """Release an officer locked out after failed sign-ins; the failure count starts again."""
    return accounts.update_officer_with_retry(
        store, officer, lambda _c: {"locked": False, "locked_at": None, "failed_logins": []}
    )


def set_disabled(store: StateStore, officer: Officer, disabled: bool) -> Officer:
    """Disable (and sign out) or enable an officer."""
    updated = accounts.update_officer_with_retry(store, officer, lambda _c: {"disabled": disabled})
    if disabled:
        end_officer_sessions(store, officer.id)
    return updated


def set_password(store: StateStore, officer: Officer, password: str) -> Officer:
    """A new password (AccountError when it breaks the policy); the officer's sessions end."""
    accounts.check_password_policy(password)
    password_hash = generate_password_hash(password)
    updated = accounts.update_officer_with_retry(
        store,
        officer,
        lambda _c: {"password_hash": password_hash, "password_changed_at": accounts.now_iso()},
    )
    end_officer_sessions(store, officer.id)
    return updated


def reset_authenticator(
    store: StateStore, officer: Officer, *, now: datetime
) -> tuple[Officer, str]:
    """A lost or replaced phone: a new TOTP secret, enrolled again at the next sign-in with the
    new one-time enrolment code returned here (hand it to the officer). The old phone's codes
    stop working at once and open sessions end."""
    updated = accounts.update_officer_with_retry(
        store,
        officer,
        lambda _c: {
            "totp_secret": pyotp.random_base32(),
            "totp_enrolled_at": None,
            "totp_last_step": None,
        },
    )
    end_officer_sessions(store, officer.id)
    code = issue_enrolment_code(store, updated, now)
    return accounts.get_officer(store, officer.id) or updated, code
