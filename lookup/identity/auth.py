"""Who is asking: the `Principal` behind a request, from a Bearer API key or the web session.

API keys are checked against the state store and then trusted for a few seconds from a small
in-process cache (`DIPCHECK_APIKEY_CACHE_SECONDS`, default 5), so a busy agency system does not
cost a store read per lookup. A revocation made in this process takes effect at once; one made
elsewhere (the CLI, another worker) within that many seconds.

The web session is read by `lookup.identity.sessions.current_web_principal()`, written by the web
channel: this module calls it when it exists and no Authorization header was sent.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import g, request

from lookup.config import current_settings
from lookup.identity.accounts import find_api_key_by_secret, get_agency
from lookup.store.base import StoreError

SUPERVISOR_ROLES: frozenset[str] = frozenset({"supervisor", "admin"})
# OFM's reviewers (lookup/identity/accounts.py: only in an `ofm` agency): they read every agency's
# incident reports and no lookup audit trail, and run no lookups.
ANALYST_ROLE = "analyst"
_CACHE_LIMIT = 10_000


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


class _KeyCache:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, ttl: float) -> Principal | None:
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] > ttl:
            return None
        return entry[1]

    def put(self, key: str, principal: Principal) -> None:
        with self._lock:
            if len(self._entries) >= _CACHE_LIMIT:
                self._entries.clear()
            self._entries[key] = (time.monotonic(), principal)

    def forget_actor(self, actor: str) -> None:
        with self._lock:
            for key in [k for k, (_, p) in self._entries.items() if p.actor == actor]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_api_keys = _KeyCache()


def forget_api_key(key_id: str) -> None:
    """Drop a revoked key (by its visible id) from this process's cache."""
    _api_keys.forget_actor(f"apikey:{key_id}")


def clear_cache() -> None:
    _api_keys.clear()


def principal_for_api_key(key: str) -> Principal:
    """The principal of a presented key; raises AuthError when it is unknown or revoked."""
    ttl = current_settings().apikey_cache_seconds
    cached = _api_keys.get(key, ttl) if ttl > 0 else None
    if cached is not None:
        return cached
    api_key = find_api_key_by_secret(key)
    if api_key is None or api_key.revoked:
        raise AuthError("invalid_credentials", "the API key is not valid")
    agency = get_agency(api_key.agency_id)
    if agency is None:
        raise AuthError("invalid_credentials", "the API key is not valid")
    principal = Principal(
        agency_id=agency.id,
        agency_name=agency.name,
        actor=f"apikey:{api_key.key_id}",
        role=api_key.role,
        requires_officer=api_key.require_officer,
    )
    if ttl > 0:
        _api_keys.put(key, principal)
    return principal


def _bearer_token(header: str) -> str:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("invalid_credentials", "use 'Authorization: Bearer <API key>'")
    return token.strip()


def _session_hook() -> Callable[[], Principal | None] | None:
    """`lookup.identity.sessions.current_web_principal` once the web channel provides it."""
    try:
        module = importlib.import_module("lookup.identity.sessions")
    except ModuleNotFoundError as error:
        if error.name == "lookup.identity.sessions":
            return None
        raise
    hook: Callable[[], Principal | None] = module.current_web_principal
    return hook


_UNSET = object()


def current_principal() -> Principal | None:
    """The authenticated principal of this request, or None. Raises AuthError when credentials
    were sent but are wrong (a bad key never falls back to the session). Cached per request."""
    cached = g.get("_dipcheck_principal", _UNSET)
    if cached is not _UNSET:
        if isinstance(cached, (AuthError, CredentialsUnavailable)):
            raise cached
        return cached  # type: ignore[no-any-return]
    principal: Principal | None = None
    try:
        header = request.headers.get("Authorization")
        if header is not None:
            principal = principal_for_api_key(_bearer_token(header))
        else:
            hook = _session_hook()
            principal = hook() if hook is not None else None
    except (AuthError, CredentialsUnavailable) as error:
        g._dipcheck_principal = error
        raise
    except StoreError as error:  # the key could not be checked (the session hook converts)
        unavailable = CredentialsUnavailable("credentials cannot be checked now")
        g._dipcheck_principal = unavailable
        raise unavailable from error
    g._dipcheck_principal = principal
    return principal


def require_principal() -> Principal:
    """The principal, or AuthError("missing_credentials") when nobody is signed in."""
    principal = current_principal()
    if principal is None:
        raise AuthError("missing_credentials", "sign in, or send 'Authorization: Bearer <API key>'")
    return principal
