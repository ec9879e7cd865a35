"""Who is asking, once it is known: the `Principal` of a request, and the two ways knowing it fails.

A leaf module (it imports nothing of lookup), so every layer can name a principal: the service and
the audit log take one, the channels read it, and the identity modules above build it from an API
key or a web session.
"""

from __future__ import annotations

from dataclasses import dataclass

SUPERVISOR_ROLES: frozenset[str] = frozenset({"supervisor", "admin"})
# OFM's reviewers (lookup/identity/accounts.py: only in an `ofm` agency): they read every agency's
# incident reports and no lookup audit trail, and run no lookups.
ANALYST_ROLE = "analyst"

# The agency id of training-mode principals; run_lookup keeps them away from the live records.
TRAINING_AGENCY_ID = "training"


@dataclass(frozen=True, slots=True)
class Principal:
    agency_id: str
    agency_name: str
    actor: str  # "officer:<id>", "apikey:<key id as `apikey list` shows it>" or "training:<who>"
    role: str  # officer | supervisor | admin | analyst
    officer_id: str | None = None
    # An API key that must name the officer behind each lookup (lookup/api/on_behalf_of.py).
    requires_officer: bool = False
    # The officer an agency system names for this request; kept in its audit records.
    on_behalf_of: str | None = None

    @property
    def can_read_audit(self) -> bool:
        return self.role in SUPERVISOR_ROLES

    @property
    def is_analyst(self) -> bool:
        return self.role == ANALYST_ROLE

    @property
    def may_look_up(self) -> bool:
        return self.role != ANALYST_ROLE

    @property
    def is_training(self) -> bool:
        return self.agency_id == TRAINING_AGENCY_ID


class AuthError(Exception):
    """Credentials were sent but are not valid (401)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class CredentialsUnavailable(Exception):
    """Who is asking cannot be checked now: the state store (API keys, web sessions) does not
    answer. Every channel answers 503 "cannot verify now", never 401 (the credentials may be
    good) nor 500."""
