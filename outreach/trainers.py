"""Trainer accounts, kept in outreach's own collection so that lookup/ knows nothing of outreach.

A trainer is not an officer: a trainer runs seminars and sees rosters and quiz results, never
records. Passwords follow the officer policy (lookup.identity.accounts) and are stored as Werkzeug
scrypt hashes. Failed sign-ins count under the officers' lockout rule
(lookup/identity/lockout.py), but a trainer's lock lasts only while the window is full: guessing
is slowed without letting anyone lock a trainer out for good.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from werkzeug.security import check_password_hash, generate_password_hash

from lookup.identity import lockout
from lookup.identity.accounts import AccountError, check_password_policy, normalize_username
from lookup.store.base import CollectionSpec, DuplicateKey, StateStore, Stored

TRAINERS: Final = "outreach_trainers"
SPECS: Final = (CollectionSpec(TRAINERS, unique=("username",)),)
_USERNAME: Final = re.compile(r"^[a-z0-9._-]{2,64}$")
# Checked against when the username is unknown, so both paths cost one scrypt verification.
_DUMMY_HASH: Final = generate_password_hash("not-a-real-password-for-timing")


class TrainerError(ValueError):
    """A trainer account cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Trainer:
    id: str
    username: str
    display_name: str
    organisation: str
    password_hash: str
    disabled: bool
    failures: tuple[str, ...]  # ISO times of recent failed sign-ins

    @classmethod
    def of(cls, stored: Stored) -> Trainer:
        data = stored.data
        return cls(
            id=stored.id,
            username=data["username"],
            display_name=data["display_name"],
            organisation=data.get("organisation", ""),
            password_hash=data["password_hash"],
            disabled=bool(data.get("disabled", False)),
            failures=tuple(data.get("failures", ())),
        )


def create_trainer(
    store: StateStore, *, username: str, display_name: str, password: str, organisation: str = ""
) -> Trainer:
    name = normalize_username(username)
    if not _USERNAME.match(name):
        raise TrainerError("username must be 2 to 64 characters: letters, digits, '.', '_' or '-'")
    if not display_name.strip():
        raise TrainerError("display name must not be empty")
    try:
        check_password_policy(password)
    except AccountError as error:
        raise TrainerError(str(error)) from None
    document: dict[str, Any] = {
        "username": name,
        "display_name": display_name.strip(),
        "organisation": organisation.strip(),
        "password_hash": generate_password_hash(password),
        "disabled": False,
        "failures": [],
        "created_at": datetime.now(UTC).isoformat(),
    }
    try:
        return Trainer.of(store.insert(TRAINERS, document))
    except DuplicateKey:
        raise TrainerError(f"a trainer named {name!r} already exists") from None


def get_trainer(store: StateStore, trainer_id: str) -> Trainer | None:
    stored = store.get(TRAINERS, trainer_id)
    return Trainer.of(stored) if stored else None


def find_trainer(store: StateStore, username: str) -> Trainer | None:
    stored = store.find_one(TRAINERS, username=normalize_username(username))
    return Trainer.of(stored) if stored else None


def _failure_times(trainer: Trainer) -> tuple[datetime, ...]:
    return tuple(datetime.fromisoformat(at) for at in trainer.failures)


def locked(trainer: Trainer, now: datetime) -> bool:
    return lockout.window_full(_failure_times(trainer), now)


def authenticate(
    store: StateStore, username: str, password: str, *, now: datetime
) -> tuple[Trainer | None, str]:
    """(the trainer, "ok") on success; otherwise (trainer or None, "bad_credentials" | "locked" |
    "disabled"). Failures are counted on the account."""
    trainer = find_trainer(store, username)
    if trainer is None:
        check_password_hash(_DUMMY_HASH, password)
        return None, "bad_credentials"
    if trainer.disabled:
        return trainer, "disabled"
    if locked(trainer, now):
        return trainer, "locked"
    if not check_password_hash(trainer.password_hash, password):
        recent = lockout.register_failure(_failure_times(trainer), now).recent
        store.update(TRAINERS, trainer.id, {"failures": [at.isoformat() for at in recent]})
        return trainer, "bad_credentials"
    if trainer.failures:
        store.update(TRAINERS, trainer.id, {"failures": []})
    return trainer, "ok"


def set_disabled(store: StateStore, trainer: Trainer, disabled: bool) -> Trainer:
    return Trainer.of(store.update(TRAINERS, trainer.id, {"disabled": disabled, "failures": []}))
