"""Who is asking: the `Principal` behind a request, from a Bearer API key or the web session.

API keys are checked against the state store and then trusted for a few seconds from the
in-process cache of lookup/identity/key_cache.py. Without an Authorization header the web
session cookie is read (lookup/identity/sessions.py), so the JSON API also accepts a signed-in
officer's browser.
"""

from __future__ import annotations

from flask import g, request

from lookup.config import current_settings
from lookup.extensions import state_store
from lookup.identity import accounts
from lookup.identity.key_cache import api_keys
from lookup.identity.principal import AuthError, CredentialsUnavailable, Principal
from lookup.identity.sessions import current_web_principal
from lookup.store.base import StoreError


def principal_for_api_key(key: str) -> Principal:
    """The principal of a presented key; raises AuthError when it is unknown or revoked."""
    ttl = current_settings().apikey_cache_seconds
    cached = api_keys.get(key, ttl) if ttl > 0 else None
    if cached is not None:
        return cached
    if not accounts.looks_like_api_key(key):  # refused before any store read
        raise AuthError("invalid_credentials", "the API key is not valid")
    store = state_store()
    api_key = accounts.find_api_key_by_secret(store, key)
    if api_key is None or api_key.revoked:
        raise AuthError("invalid_credentials", "the API key is not valid")
    agency = accounts.get_agency(store, api_key.agency_id)
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
        api_keys.put(key, principal)
    return principal


def _bearer_token(header: str) -> str:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("invalid_credentials", "use 'Authorization: Bearer <API key>'")
    return token.strip()


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
            principal = current_web_principal()
    except (AuthError, CredentialsUnavailable) as error:
        g._dipcheck_principal = error
        raise
    except StoreError as error:  # the key could not be checked (the session reader converts)
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
