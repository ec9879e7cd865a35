"""Agencies, their API keys and their officers, kept as documents in the state store.

Every function that reads or writes takes the store as its first argument, so this module needs
neither the app nor a request: the CLI, the web pages, sign-in and tests all pass theirs.

- An agency has a unique name, an optional ORI (the NCIC originating-agency identifier) and a
  kind: `police` (the default) or `ofm` (the State Department's Office of Foreign Missions, whose
  analysts review incident reports). Agencies stored before kinds existed have no `kind` field and
  read as `police`, so an existing state store needs no rewrite.
- An API key belongs to one agency and has a role (`officer`, `supervisor`, or `analyst` in an
  `ofm` agency only). The key itself is
  shown once at creation: `dck_<8-character key id>_<secret>`. Only its SHA-256 hash is kept (a
  fast hash suits a 256-bit random secret; a slow password hash would only add latency). The key
  id is the visible part used to name the key in listings and in `apikey revoke`.
- An officer has a username (stored case-folded), display name, agency, role (`officer`,
  `supervisor`, `admin`, or `analyst` in an `ofm` agency only), a Werkzeug scrypt password hash,
  a TOTP secret, a disabled flag and the failed-login bookkeeping the web login keeps
  (`failed_logins`: ISO times inside the lockout window, `locked`, `locked_at`, `last_login_at`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import pyotp
from werkzeug.security import check_password_hash, generate_password_hash

from lookup.identity.key_cache import forget_api_key
from lookup.store.base import CollectionSpec, DuplicateKey, StateStore, Stored, VersionConflict

AGENCIES = "agencies"
API_KEYS = "api_keys"
OFFICERS = "officers"

COLLECTIONS = (
    CollectionSpec(AGENCIES, unique=("name_key", "ori")),
    CollectionSpec(API_KEYS, unique=("key_hash", "key_id"), indexed=("agency_id",)),
    CollectionSpec(OFFICERS, unique=("username",), indexed=("agency_id",)),
)

AgencyKind = Literal["police", "ofm"]
ApiKeyRole = Literal["officer", "supervisor", "analyst"]
OfficerRole = Literal["officer", "supervisor", "admin", "analyst"]
AGENCY_KINDS: tuple[AgencyKind, ...] = ("police", "ofm")
API_KEY_ROLES: tuple[ApiKeyRole, ...] = ("officer", "supervisor", "analyst")
OFFICER_ROLES: tuple[OfficerRole, ...] = ("officer", "supervisor", "admin", "analyst")
# Reviews incident reports of every agency; exists only in an `ofm` agency.
ANALYST = "analyst"

KEY_PREFIX = "dck_"
_KEY_ID_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
_KEY_SHAPE = re.compile(r"^dck_([A-Z0-9]{8})_([A-Za-z0-9_-]{43})$")
_ORI = re.compile(r"^[A-Z0-9]{9}$")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TOTP_ISSUER = "DipCheck"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
# Conflicting writers of one officer document are sign-ins and administrators: a few at most.
_UPDATE_ATTEMPTS = 4


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message is shown to the operator."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# -- agencies ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Agency:
    id: str
    name: str
    ori: str | None
    kind: AgencyKind = "police"

    @classmethod
    def of(cls, stored: Stored) -> Agency:
        data = stored.data
        return cls(stored.id, data["name"], data.get("ori"), data.get("kind") or "police")


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def create_agency(
    store: StateStore, name: str, *, ori: str | None = None, kind: AgencyKind = "police"
) -> Agency:
    if kind not in AGENCY_KINDS:
        raise AccountError(f"kind must be one of {', '.join(AGENCY_KINDS)}")
    clean = " ".join(name.split())
    if not clean or len(clean) > 200:
        raise AccountError("agency name must be 1 to 200 characters")
    if not clean.isprintable():
        raise AccountError("agency name may not hold control characters")
    if ori is not None:
        ori = ori.strip().upper()
        if not _ORI.match(ori):
            raise AccountError("ORI must be 9 letters or digits")
    try:
        stored = store.insert(
            AGENCIES,
            {
                "name": clean,
                "name_key": _name_key(clean),
                "ori": ori,
                "kind": kind,
                "created_at": now_iso(),
            },
        )
    except DuplicateKey as error:
        field_name = "ORI" if error.field_name == "ori" else "name"
        raise AccountError(f"an agency with this {field_name} already exists") from None
    return Agency.of(stored)


def get_agency(store: StateStore, agency_id: str) -> Agency | None:
    stored = store.get(AGENCIES, agency_id)
    return Agency.of(stored) if stored else None


def find_agency(store: StateStore, name: str) -> Agency | None:
    stored = store.find_one(AGENCIES, name_key=_name_key(name))
    return Agency.of(stored) if stored else None


def list_agencies(store: StateStore) -> list[Agency]:
    return [Agency.of(stored) for stored in store.find(AGENCIES)]


def check_role_allowed(agency: Agency, role: str) -> None:
    """The analyst role belongs to OFM: refused in any other agency."""
    if role == ANALYST and agency.kind != "ofm":
        raise AccountError("the analyst role exists only in an ofm agency")


# -- API keys ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    key_id: str  # the visible part, e.g. "K7M3Q9XA"
    agency_id: str
    role: ApiKeyRole
    label: str | None
    revoked: bool
    # Every lookup must name the agency's officer behind it (X-On-Behalf-Of).
    require_officer: bool = False

    @classmethod
    def of(cls, stored: Stored) -> ApiKey:
        data = stored.data
        return cls(
            stored.id,
            data["key_id"],
            data["agency_id"],
            data["role"],
            data.get("label"),
            data.get("revoked_at") is not None,
            bool(data.get("require_officer", False)),  # absent on keys made before the option
        )


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def looks_like_api_key(key: str) -> bool:
    return _KEY_SHAPE.match(key) is not None


def create_api_key(
    store: StateStore,
    agency: Agency,
    *,
    role: ApiKeyRole = "officer",
    label: str | None = None,
    require_officer: bool = False,
) -> tuple[ApiKey, str]:
    """A new key for the agency: (its record, the key itself, to be shown once)."""
    if role not in API_KEY_ROLES:
        raise AccountError(f"role must be one of {', '.join(API_KEY_ROLES)}")
    check_role_allowed(agency, role)
    for _attempt in range(5):
        key_id = "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(8))
        key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        try:
            stored = store.insert(
                API_KEYS,
                {
                    "key_id": key_id,
                    "key_hash": hash_api_key(key),
                    "agency_id": agency.id,
                    "role": role,
                    "label": label,
                    "require_officer": require_officer,
                    "created_at": now_iso(),
                    "revoked_at": None,
                },
            )
        except DuplicateKey:
            continue  # a key id collision: draw again
        return ApiKey.of(stored), key
    raise AccountError("could not draw a unique key id")


def find_api_key_by_secret(store: StateStore, key: str) -> ApiKey | None:
    if not looks_like_api_key(key):
        return None
    stored = store.find_one(API_KEYS, key_hash=hash_api_key(key))
    return ApiKey.of(stored) if stored else None


def find_api_key(store: StateStore, key_id: str) -> ApiKey | None:
    """By its visible id (`K7M3Q9XA`) or by the id part of a full key."""
    match = _KEY_SHAPE.match(key_id)
    visible = match.group(1) if match else key_id.removeprefix(KEY_PREFIX).strip().upper()
    stored = store.find_one(API_KEYS, key_id=visible)
    return ApiKey.of(stored) if stored else None


def list_api_keys(store: StateStore, agency: Agency) -> list[ApiKey]:
    return [ApiKey.of(stored) for stored in store.find(API_KEYS, agency_id=agency.id)]


def revoke_api_key(store: StateStore, api_key: ApiKey) -> ApiKey:
    if api_key.revoked:
        return api_key
    stored = store.update(API_KEYS, api_key.id, {"revoked_at": now_iso()})
    forget_api_key(api_key.key_id)
    return ApiKey.of(stored)


# -- officers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Officer:
    id: str
    version: int
    username: str
    display_name: str
    agency_id: str
    role: OfficerRole
    password_hash: str
    totp_secret: str
    disabled: bool
    locked: bool
    failed_logins: tuple[datetime, ...]
    last_login_at: datetime | None

    @classmethod
    def of(cls, stored: Stored) -> Officer:
        data = stored.data
        last = data.get("last_login_at")
        return cls(
            id=stored.id,
            version=stored.version,
            username=data["username"],
            display_name=data["display_name"],
            agency_id=data["agency_id"],
            role=data["role"],
            password_hash=data["password_hash"],
            totp_secret=data["totp_secret"],
            disabled=bool(data.get("disabled", False)),
            locked=bool(data.get("locked", False)),
            failed_logins=tuple(datetime.fromisoformat(at) for at in data.get("failed_logins", [])),
            last_login_at=datetime.fromisoformat(last) if last else None,
        )

    def totp(self) -> pyotp.TOTP:
        return pyotp.TOTP(self.totp_secret)

    def provisioning_uri(self) -> str:
        """The otpauth:// URI an authenticator app scans; show it once, at enrolment."""
        return self.totp().provisioning_uri(name=self.username, issuer_name=TOTP_ISSUER)


def normalize_username(username: str) -> str:
    return username.strip().casefold()


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"password must have at most {MAX_PASSWORD_LENGTH} characters")


def generate_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, about 120 bits


def create_officer(
    store: StateStore,
    agency: Agency,
    *,
    username: str,
    display_name: str,
    password: str,
    role: OfficerRole = "officer",
) -> Officer:
    name = normalize_username(username)
    if not _USERNAME.match(name):
        raise AccountError("username must be 2 to 64 characters: letters, digits, '.', '_' or '-'")
    if role not in OFFICER_ROLES:
        raise AccountError(f"role must be one of {', '.join(OFFICER_ROLES)}")
    check_role_allowed(agency, role)
    check_password_policy(password)
    shown = " ".join(display_name.split()) or name
    if not shown.isprintable():
        raise AccountError("display name may not hold control characters")
    try:
        stored = store.insert(
            OFFICERS,
            {
                "username": name,
                "display_name": shown,
                "agency_id": agency.id,
                "role": role,
                "password_hash": generate_password_hash(password),
                "totp_secret": pyotp.random_base32(),
                "disabled": False,
                "locked": False,
                "locked_at": None,
                "failed_logins": [],
                "last_login_at": None,
                "created_at": now_iso(),
            },
        )
    except DuplicateKey:
        raise AccountError("an officer with this username already exists") from None
    return Officer.of(stored)


def get_officer(store: StateStore, officer_id: str) -> Officer | None:
    stored = store.get(OFFICERS, officer_id)
    return Officer.of(stored) if stored else None


def find_officer(store: StateStore, username: str) -> Officer | None:
    stored = store.find_one(OFFICERS, username=normalize_username(username))
    return Officer.of(stored) if stored else None


def list_officers(store: StateStore, agency: Agency) -> list[Officer]:
    return [Officer.of(stored) for stored in store.find(OFFICERS, agency_id=agency.id)]


def officer_may_log_in(officer: Officer) -> bool:
    """False for a disabled officer and for one locked out until an admin unlocks the account."""
    return not officer.disabled and not officer.locked


def check_password(officer: Officer, password: str) -> bool:
    return check_password_hash(officer.password_hash, password)


def update_officer(store: StateStore, officer: Officer, changes: dict[str, Any]) -> Officer:
    """Write `changes` (stored field names, e.g. `disabled`, `locked`, `failed_logins` as ISO
    strings) if nobody changed the officer since it was read; raises VersionConflict otherwise."""
    stored = store.update(OFFICERS, officer.id, changes, expect_version=officer.version)
    return Officer.of(stored)


def update_officer_with_retry(
    store: StateStore, officer: Officer, changes: Callable[[Officer], dict[str, Any]]
) -> Officer:
    """Apply `changes` (computed from the current document) with optimistic concurrency, reading
    the officer again after a conflict: two sign-ins at once must not lose each other's failure,
    and an administrator's unlock must not be undone by a sign-in that read the account before."""
    current = officer
    for _attempt in range(_UPDATE_ATTEMPTS):
        try:
            return update_officer(store, current, changes(current))
        except VersionConflict:
            fresh = get_officer(store, officer.id)
            if fresh is None:
                raise
            current = fresh
    return update_officer(store, current, changes(current))
