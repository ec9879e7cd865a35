"""The officer sign-in: password plus TOTP code, lockout, and one audit record per attempt.

Audit: every attempt writes one record with channel `web`, action `login`, the username as typed
(cut to 64 characters) as the query, and outcome `match` when the credentials presented were
right or `denied` otherwise; `detail.result` says what happened (`signed_in`,
`enrolment_required`, `bad_credentials`, `locked`, `disabled`, `unknown_user`,
`banner_not_acknowledged`). If the record cannot be written, nobody is signed in.

Messages never tell a guesser whether a username exists: wrong username, wrong password and wrong
code read the same. Only someone who knows the password learns that the account is locked or
disabled, because only they can do something about it (ask a supervisor).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from werkzeug.security import check_password_hash, generate_password_hash

from lookup.audit.records import record
from lookup.extensions import state_store
from lookup.identity import accounts
from lookup.identity.accounts import Officer
from lookup.identity.enrolment import use_enrolment_code
from lookup.identity.lockout import MAX_FAILURES, WINDOW, register_failure
from lookup.store.base import Outcome
from lookup.web.mfa import accepted_step, clean_code, mfa_state

log = logging.getLogger(__name__)

Status = Literal["signed_in", "enrol", "failed", "locked", "disabled"]
USERNAME_AUDIT_LENGTH = 64

FAILED_MESSAGE = (
    "Sign-in failed: check the username, password and code. After "
    f"{MAX_FAILURES} failed attempts in {int(WINDOW.total_seconds() // 60)} minutes the account "
    "is locked until a supervisor unlocks it."
)
LOCKED_MESSAGE = (
    "This account is locked after too many failed sign-ins. Ask a supervisor or an "
    "administrator to unlock it."
)
DISABLED_MESSAGE = "This account is disabled. Ask a supervisor or an administrator."

# Checked when the username is unknown, so that answer takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


@dataclass(frozen=True, slots=True)
class LoginResult:
    status: Status
    officer: Officer | None = None
    message: str = ""


def audit_login(
    officer: Officer | None,
    username: str,
    *,
    outcome: Outcome,
    result: str,
    client: str | None,
    extra: dict[str, Any] | None = None,
) -> None:
    """One audit record for one login attempt (raises AuditUnavailable: fail closed)."""
    record(
        None,
        channel="web",
        action="login",
        query=username[:USERNAME_AUDIT_LENGTH],
        outcome=outcome,
        client=client,
        actor=f"officer:{officer.id}" if officer else None,
        agency_id=officer.agency_id if officer else None,
        detail={"result": result, **(extra or {})},
    )


def attempt_login(
    username: str, password: str, code: str | None, *, now: datetime, client: str | None
) -> LoginResult:
    officer = accounts.find_officer(state_store(), username) if username.strip() else None
    if officer is None:
        check_password_hash(_DUMMY_HASH, password)
        audit_login(None, username, outcome="denied", result="unknown_user", client=client)
        return LoginResult("failed", message=FAILED_MESSAGE)

    password_ok = accounts.check_password(officer, password)
    if officer.disabled:
        audit_login(officer, username, outcome="denied", result="disabled", client=client)
        return LoginResult("disabled", officer, DISABLED_MESSAGE if password_ok else FAILED_MESSAGE)
    if officer.locked:
        audit_login(officer, username, outcome="denied", result="locked", client=client)
        return LoginResult("locked", officer, LOCKED_MESSAGE if password_ok else FAILED_MESSAGE)

    state = mfa_state(officer)
    if not state.enrolled:
        # The password alone never shows the TOTP secret: the one-time enrolment code handed
        # over with it must come too (typed in the code field), or the attempt counts as failed.
        if password_ok and use_enrolment_code(state_store(), officer, code or "", now):
            audit_login(
                officer, username, outcome="match", result="enrolment_required", client=client
            )
            return LoginResult("enrol", officer)
        locked = record_failure(officer, now=now)
        audit_login(
            officer,
            username,
            outcome="denied",
            result="bad_credentials",
            client=client,
            extra={"step": "enrolment_code", "locked": locked},
        )
        return LoginResult("failed", officer, FAILED_MESSAGE)

    step = (
        accepted_step(officer.totp_secret, clean_code(code), now, state.last_step)
        if state.enrolled
        else None
    )
    if password_ok and step is not None:
        signed_in = record_success(officer, now=now, step=step)
        audit_login(signed_in, username, outcome="match", result="signed_in", client=client)
        return LoginResult("signed_in", signed_in)

    locked = record_failure(officer, now=now)
    audit_login(
        officer,
        username,
        outcome="denied",
        result="bad_credentials",
        client=client,
        extra={"locked": locked},
    )
    return LoginResult("failed", officer, FAILED_MESSAGE)


def confirm_enrolment(
    officer_id: str, code: str | None, *, now: datetime, client: str | None
) -> LoginResult:
    """The first code from a newly scanned authenticator; success signs the officer in."""
    officer = accounts.get_officer(state_store(), officer_id)
    if officer is None or officer.disabled or officer.locked:
        status: Status = "disabled" if officer is None or officer.disabled else "locked"
        if officer is not None:
            audit_login(officer, officer.username, outcome="denied", result=status, client=client)
        return LoginResult(
            status, officer, LOCKED_MESSAGE if status == "locked" else DISABLED_MESSAGE
        )
    step = accepted_step(officer.totp_secret, clean_code(code), now, mfa_state(officer).last_step)
    if step is None:
        locked = record_failure(officer, now=now)
        audit_login(
            officer,
            officer.username,
            outcome="denied",
            result="bad_credentials",
            client=client,
            extra={"step": "enrolment", "locked": locked},
        )
        if locked:
            return LoginResult("locked", officer, LOCKED_MESSAGE)
        return LoginResult(
            "failed",
            officer,
            "That code is not right. Check the phone's time is set automatically and type the "
            "code the app shows now.",
        )
    signed_in = record_success(officer, now=now, step=step, enrolled=True)
    audit_login(
        signed_in,
        officer.username,
        outcome="match",
        result="signed_in",
        client=client,
        extra={"enrolled": True},
    )
    return LoginResult("signed_in", signed_in)


def record_success(
    officer: Officer, *, now: datetime, step: int, enrolled: bool = False
) -> Officer:
    def changes(_current: Officer) -> dict[str, Any]:
        out: dict[str, Any] = {
            "failed_logins": [],
            "last_login_at": now.isoformat(),
            "totp_last_step": step,
        }
        if enrolled:
            out["totp_enrolled_at"] = now.isoformat()
        return out

    return accounts.update_officer_with_retry(state_store(), officer, changes)


def record_failure(officer: Officer, *, now: datetime) -> bool:
    """Count a failed attempt; True when it locked the account.

    A lock stops new sign-ins only: sessions already open stay, so someone guessing an
    officer's password cannot throw that officer out of DipCheck in the middle of a stop."""
    locks = False

    def changes(current: Officer) -> dict[str, Any]:
        nonlocal locks
        outcome = register_failure(current.failed_logins, now)
        locks = outcome.locks and not current.locked
        out: dict[str, Any] = {"failed_logins": [at.isoformat() for at in outcome.recent]}
        if locks:
            out.update(locked=True, locked_at=now.isoformat())
        return out

    accounts.update_officer_with_retry(state_store(), officer, changes)
    if locks:
        log.warning("officer account locked", extra={"officer_id": officer.id})
    return locks
