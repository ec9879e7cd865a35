"""Server-side web sessions for officers (CJIS IA-5-j-10/11, AC-12; ASVS 7.x).

The browser holds only a random session id in an HttpOnly cookie; everything else (who, since
when, the CSRF token, the remembered lookup reason) lives in the state store, in the
`web_sessions` collection, under the SHA-256 of that id so that reading the store does not yield
a usable cookie. A session ends after 30 minutes without a request or 12 hours after login,
whichever comes first (both configurable, never longer), on logout, and as soon as its officer
is disabled or changes role or agency. A lockout (failed sign-ins) blocks new sign-ins but leaves
open sessions alone, so password guessing cannot throw an officer out in the middle of a stop.

A session has a stage: `enrol` while a first-time officer who proved the password is setting up
the TOTP authenticator (nothing but the enrolment page accepts it), then `active`.

`current_web_principal()` is what lookup/identity/auth.py reads when a request sends no API key,
so the JSON API also accepts the web session cookie.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from flask import current_app, g, request
from werkzeug.wrappers import Response

from lookup.config import current_settings
from lookup.extensions import state_store
from lookup.identity import accounts, session_answers
from lookup.identity.principal import CredentialsUnavailable, Principal
from lookup.store.base import CollectionSpec, StateStore, StoreError

COLLECTION = "web_sessions"
SPECS = (CollectionSpec(COLLECTION, indexed=("officer_id",)), *session_answers.SPECS)

CLOCK_KEY = "CLOCK"
DEFAULT_IDLE = timedelta(minutes=30)
DEFAULT_ABSOLUTE = timedelta(hours=12)
ENROL_LIFETIME = timedelta(minutes=10)
# Refreshing last_seen on every request would turn each page view into a store write; a minute of
# slack on a 30-minute idle timeout is not worth that.
TOUCH_INTERVAL = timedelta(seconds=60)

COOKIE_NAME = "dipcheck_web"
# The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and path /.
SECURE_COOKIE_NAME = "__Host-dipcheck_web"

Stage = Literal["enrol", "active"]


@dataclass(frozen=True, slots=True)
class WebSession:
    key: str  # the store id: SHA-256 of the cookie value
    officer_id: str
    agency_id: str
    agency_name: str
    role: str
    stage: Stage
    created_at: datetime
    last_seen: datetime
    csrf_token: str
    reason: str | None = None
    pending_totp_secret: str | None = None

    def to_document(self) -> dict[str, Any]:
        return {
            "officer_id": self.officer_id,
            "agency_id": self.agency_id,
            "agency_name": self.agency_name,
            "role": self.role,
            "stage": self.stage,
            "created_at": self.created_at.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "csrf_token": self.csrf_token,
            "reason": self.reason,
            "pending_totp_secret": self.pending_totp_secret,
        }

    @classmethod
    def from_document(cls, key: str, doc: dict[str, Any]) -> WebSession:
        stage: Stage = "active" if doc["stage"] == "active" else "enrol"
        return cls(
            key=key,
            officer_id=str(doc["officer_id"]),
            agency_id=str(doc["agency_id"]),
            agency_name=str(doc.get("agency_name") or ""),
            role=str(doc["role"]),
            stage=stage,
            created_at=datetime.fromisoformat(doc["created_at"]),
            last_seen=datetime.fromisoformat(doc["last_seen"]),
            csrf_token=str(doc["csrf_token"]),
            reason=doc.get("reason"),
            pending_totp_secret=doc.get("pending_totp_secret"),
        )


@dataclass(frozen=True, slots=True)
class Timeouts:
    idle: timedelta = DEFAULT_IDLE
    absolute: timedelta = DEFAULT_ABSOLUTE


def session_key(cookie_value: str) -> str:
    return hashlib.sha256(cookie_value.encode("utf-8")).hexdigest()


# -- the store-level operations (no Flask) --------------------------------------------------------


def create_session(
    store: StateStore,
    *,
    officer_id: str,
    agency_id: str,
    agency_name: str,
    role: str,
    stage: Stage,
    now: datetime,
    pending_totp_secret: str | None = None,
    reason: str | None = None,
) -> tuple[str, WebSession]:
    """A new session; returns the cookie value (shown to nobody else) and the session."""
    cookie_value = secrets.token_urlsafe(32)
    session = WebSession(
        key=session_key(cookie_value),
        officer_id=officer_id,
        agency_id=agency_id,
        agency_name=agency_name,
        role=role,
        stage=stage,
        created_at=now,
        last_seen=now,
        csrf_token=secrets.token_urlsafe(32),
        reason=reason,
        pending_totp_secret=pending_totp_secret,
    )
    store.insert(COLLECTION, session.to_document(), id=session.key)
    return cookie_value, session


def expired(session: WebSession, now: datetime, timeouts: Timeouts) -> bool:
    if session.stage == "enrol":
        return now - session.created_at >= ENROL_LIFETIME
    return now - session.last_seen >= timeouts.idle or now - session.created_at >= timeouts.absolute


def load_session(
    store: StateStore, cookie_value: str, now: datetime, timeouts: Timeouts
) -> WebSession | None:
    """The live session for a cookie, refreshing its idle clock; None (and the stored session
    deleted) when unknown or timed out."""
    key = session_key(cookie_value)
    stored = store.get(COLLECTION, key)
    if stored is None:
        return None
    session = WebSession.from_document(key, stored.data)
    if expired(session, now, timeouts):
        end_session(store, key)
        return None
    if now - session.last_seen >= TOUCH_INTERVAL:
        try:
            store.update(COLLECTION, key, {"last_seen": now.isoformat()})
        except KeyError:
            return None  # signed out in another tab between the read and the write
    return session


def end_session(store: StateStore, key: str) -> bool:
    """Delete the session and the answers kept for it; False when it was already gone."""
    session_answers.forget_session(store, key)
    return store.delete(COLLECTION, key)


def end_officer_sessions(store: StateStore, officer_id: str) -> int:
    """End every session of one officer (disabled, or an administrator's order)."""
    return sum(
        end_session(store, stored.id) for stored in store.find(COLLECTION, officer_id=officer_id)
    )


def prune_expired(store: StateStore, officer_id: str, now: datetime, timeouts: Timeouts) -> int:
    """Delete the officer's sessions that timed out without being seen again."""
    pruned = 0
    for stored in store.find(COLLECTION, officer_id=officer_id):
        if expired(WebSession.from_document(stored.id, stored.data), now, timeouts):
            pruned += end_session(store, stored.id)
    return pruned


def remember_reason(store: StateStore, session: WebSession, reason: str) -> None:
    if session.reason != reason:
        # A session ended meanwhile (sign-out in another tab) has nothing left to remember.
        with contextlib.suppress(KeyError):
            store.update(COLLECTION, session.key, {"reason": reason})


def csrf_matches(session: WebSession, submitted: str | None) -> bool:
    return submitted is not None and hmac.compare_digest(
        session.csrf_token.encode("utf-8"), submitted.encode("utf-8")
    )


# -- the request-level glue ------------------------------------------------------------------------


def now() -> datetime:
    """The current UTC time; tests put a callable under app.config["CLOCK"] to move time."""
    clock: Callable[[], datetime] | None = current_app.config.get(CLOCK_KEY)
    return clock() if clock is not None else datetime.now(UTC)


def timeouts() -> Timeouts:
    """From DIPCHECK_WEB_IDLE_MINUTES and DIPCHECK_WEB_ABSOLUTE_HOURS (at most 30 and 12)."""
    settings = current_settings()
    return Timeouts(
        idle=timedelta(minutes=settings.web_idle_minutes),
        absolute=timedelta(hours=settings.web_absolute_hours),
    )


def secure_cookies() -> bool:
    public_url = current_settings().public_url
    return bool(public_url and public_url.startswith("https://"))


def cookie_name() -> str:
    return SECURE_COOKIE_NAME if secure_cookies() else COOKIE_NAME


def set_session_cookie(response: Response, cookie_value: str) -> None:
    # No max_age: a browser-session cookie, so closing the browser drops it; the server enforces
    # the real lifetime either way.
    response.set_cookie(
        cookie_name(),
        cookie_value,
        httponly=True,
        secure=secure_cookies(),
        samesite="Lax",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(
        cookie_name(), path="/", httponly=True, secure=secure_cookies(), samesite="Lax"
    )


def current_web_session(*, stage: Stage = "active") -> WebSession | None:
    """The request's live session at `stage`, or None. Cached for the request."""
    cache_key = f"dipcheck_web_session_{stage}"
    if cache_key in g:
        cached: WebSession | None = g.get(cache_key)
        return cached
    try:
        session = _resolve_session(stage)
    except StoreError as error:
        raise CredentialsUnavailable("the web session cannot be checked now") from error
    setattr(g, cache_key, session)
    return session


def _resolve_session(stage: Stage) -> WebSession | None:
    cookie_value = request.cookies.get(cookie_name())
    if not cookie_value or len(cookie_value) > 128:
        return None
    store = state_store()
    session = load_session(store, cookie_value, now(), timeouts())
    if session is None or session.stage != stage:
        return None
    officer = accounts.get_officer(store, session.officer_id)
    if (
        officer is None
        or officer.disabled
        or officer.role != session.role
        or officer.agency_id != session.agency_id
    ):
        end_session(store, session.key)
        return None
    return session


def current_web_principal() -> Principal | None:
    """The officer behind the request's web session cookie, or None (no cookie, unknown,
    timed out, not yet through MFA, or the officer may no longer log in)."""
    session = current_web_session()
    if session is None:
        return None
    return Principal(
        agency_id=session.agency_id,
        agency_name=session.agency_name,
        actor=f"officer:{session.officer_id}",
        role=session.role,
        officer_id=session.officer_id,
    )
