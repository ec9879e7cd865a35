"""Account lockout after repeated failed logins (CJIS AC-7, ASVS 6.3.x).

Five failed attempts within fifteen minutes lock an account. This module holds only the rule, as
pure functions over the failure timestamps, so every sign-in applies the same policy; where the
timestamps are kept, and how long the lock lasts, is the account's business:

- an officer (lookup/web/login_flow.py) stays locked until a supervisor or an admin unlocks the
  account (lookup/identity/officer_admin.py); the lock never expires on its own;
- a trainer (outreach/trainers.py) is locked while the window is full, so the lock lifts 15
  minutes after the failures: guessing is slowed without letting anyone lock a trainer out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class FailureOutcome:
    """The failures still inside the window after one more failure, and whether they lock."""

    recent: tuple[datetime, ...]
    locks: bool


def recent_failures(
    failures: Sequence[datetime], now: datetime, window: timedelta = WINDOW
) -> tuple[datetime, ...]:
    """The failures that still count at `now` (older ones have aged out of the window)."""
    return tuple(at for at in failures if now - at < window)


def register_failure(
    failures: Sequence[datetime],
    now: datetime,
    *,
    max_failures: int = MAX_FAILURES,
    window: timedelta = WINDOW,
) -> FailureOutcome:
    """Add a failure at `now`; it locks when it is the `max_failures`-th inside the window."""
    recent = (*recent_failures(failures, now, window), now)
    return FailureOutcome(recent=recent, locks=len(recent) >= max_failures)


def window_full(
    failures: Sequence[datetime],
    now: datetime,
    *,
    max_failures: int = MAX_FAILURES,
    window: timedelta = WINDOW,
) -> bool:
    """Whether the failures still inside the window at `now` already reach `max_failures`."""
    return len(recent_failures(failures, now, window)) >= max_failures
