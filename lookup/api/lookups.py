"""The lookup routes: plate, plate pattern, credential, licence, person.

Each one authenticates (401), validates (400), counts against the caller's lookup allowance
(429), and runs `lookup.service.run_lookup`, which audits before answering. A lookup refused for
credentials or rate is audited too (outcome `denied`).
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from flask import Blueprint, Response, jsonify, request
from flask_limiter import RateLimitExceeded
from pydantic import BaseModel
from spectree import Response as Responses

from lookup.api import schemas
from lookup.api.params import parse
from lookup.api.spec import AUTHENTICATED, spec
from lookup.audit import AuditUnavailable
from lookup.auth import AuthError, Principal, current_principal, require_principal
from lookup.config import current_settings
from lookup.errors import ApiError, error_response
from lookup.lookup_allowance import lookup_limit
from lookup.service import (
    InvalidQuery,
    LookupKind,
    LookupUnavailable,
    record_denied,
    run_lookup,
)

log = logging.getLogger(__name__)
bp = Blueprint("api_lookups", __name__)
M = TypeVar("M", bound=BaseModel)

TAG = "lookups"
_ERRORS: dict[str, Any] = {
    "HTTP_400": schemas.ErrorBody,
    "HTTP_401": schemas.ErrorBody,
    "HTTP_413": schemas.ErrorBody,
    "HTTP_429": schemas.ErrorBody,
    "HTTP_503": schemas.ErrorBody,
}
# Endpoint -> (lookup kind, where its value is: a view argument or a query parameter).
_LOOKUPS: dict[str, tuple[LookupKind, str]] = {
    "api.api_lookups.plate": ("plate", "plate"),
    "api.api_lookups.plate_pattern": ("plate_pattern", "pattern"),
    "api.api_lookups.credential": ("credential", "number"),
    "api.api_lookups.license": ("license", "number"),
    "api.api_lookups.persons": ("person", "name"),
}


def _client() -> str | None:
    return request.remote_addr


def _answer(
    principal: Principal,
    kind: LookupKind,
    value: str,
    reason: str,
    params: dict[str, Any] | None = None,
) -> Response:
    try:
        result = run_lookup(
            principal,
            channel="api",
            kind=kind,
            value=value,
            reason=reason,
            client=_client(),
            params=params,
        )
    except InvalidQuery as error:
        raise ApiError(400, "invalid_parameter", error.message, field=error.field) from None
    response = jsonify(result.body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _parse(model: type[M]) -> M:
    """The validated query string; a refusal is audited like any refused lookup."""
    try:
        return parse(model)
    except ApiError as error:
        audit_denied("invalid_query", field=error.field)
        raise


def _value_of(kind: str, where: str) -> str:
    if request.view_args and where in request.view_args:
        return str(request.view_args[where])
    return request.args.get(where, "")


def audit_denied(code: str, *, field: str | None = None) -> None:
    """Leave the `denied` record of a lookup refused before it ran (best effort: the request is
    refused either way, so a store failure here only loses the record of a refusal)."""
    endpoint = request.endpoint or ""
    if endpoint not in _LOOKUPS:
        return
    kind, where = _LOOKUPS[endpoint]
    try:
        principal = current_principal()
    except AuthError:
        principal = None
    try:
        record_denied(
            principal,
            channel="api",
            kind=kind,
            value=_value_of(kind, where),
            reason=request.args.get("reason"),
            client=_client(),
            code=code,
            field=field,
        )
    except AuditUnavailable:
        # Operators must learn of an audit failure (CJIS AU-5); the refusal stands either way.
        log.error("audit store unavailable: a refused lookup went unrecorded")


@bp.errorhandler(AuthError)
def _unauthenticated(error: AuthError) -> Response:
    audit_denied(error.code)
    return error_response(
        401, error.code, error.message, headers={"WWW-Authenticate": 'Bearer realm="dipcheck"'}
    )


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(error: RateLimitExceeded) -> Response:
    audit_denied("rate_limited")
    return error_response(
        429, "rate_limited", f"too many lookups ({error.description}); retry later"
    )


@bp.errorhandler(LookupUnavailable)
def _unavailable(error: LookupUnavailable) -> Response:
    phone = current_settings().verify_phone
    return error_response(
        503,
        "cannot_verify",
        f"cannot verify now, call {phone}",
        reference=error.reference,
        headers={"Retry-After": "30"},
    )


@bp.errorhandler(AuditUnavailable)
def _audit_down(error: AuditUnavailable) -> Response:
    log.error("audit store unavailable: lookup refused", extra={"error_type": "AuditUnavailable"})
    phone = current_settings().verify_phone
    return error_response(
        503,
        "audit_unavailable",
        f"this lookup cannot be recorded, so it is refused; call {phone} to verify",
        headers={"Retry-After": "30"},
    )


@bp.get("/plates/<plate>")
@lookup_limit
@spec.validate(
    query=schemas.LookupQuery,
    resp=Responses(HTTP_200=schemas.PlateLookup, **_ERRORS),
    tags=[TAG],
    security=AUTHENTICATED,
    path_parameter_descriptions={"plate": "As typed: case, spaces and hyphens are ignored."},
    skip_validation=True,
)
def plate(plate: str) -> Response:
    """Find a vehicle by plate: exact, else confusable candidates (0/O/D/Q, 1/I, 5/S ...)."""
    principal = require_principal()
    query = _parse(schemas.LookupQuery)
    return _answer(principal, "plate", plate, query.reason)


@bp.get("/plates")
@lookup_limit
@spec.validate(
    query=schemas.PatternQuery,
    resp=Responses(HTTP_200=schemas.PlateLookup, **_ERRORS),
    tags=[TAG],
    security=AUTHENTICATED,
    skip_validation=True,
)
def plate_pattern() -> Response:
    """Find vehicles by a partial plate (`?` one character, `*` any run)."""
    principal = require_principal()
    query = _parse(schemas.PatternQuery)
    return _answer(principal, "plate_pattern", query.pattern, query.reason)


@bp.get("/credentials/<number>")
@lookup_limit
@spec.validate(
    query=schemas.LookupQuery,
    resp=Responses(HTTP_200=schemas.CredentialLookup, **_ERRORS),
    tags=[TAG],
    security=AUTHENTICATED,
    path_parameter_descriptions={"number": "The State Department ID card number."},
    skip_validation=True,
)
def credential(number: str) -> Response:
    """Find the holder of a State Department ID card."""
    principal = require_principal()
    query = _parse(schemas.LookupQuery)
    return _answer(principal, "credential", number, query.reason)


@bp.get("/licenses/<number>")
@lookup_limit
@spec.validate(
    query=schemas.LookupQuery,
    resp=Responses(HTTP_200=schemas.LicenseLookup, **_ERRORS),
    tags=[TAG],
    security=AUTHENTICATED,
    path_parameter_descriptions={"number": "The OFM driver licence number."},
    skip_validation=True,
)
def license(number: str) -> Response:
    """Find an OFM driver licence and its holder."""
    principal = require_principal()
    query = _parse(schemas.LookupQuery)
    return _answer(principal, "license", number, query.reason)


@bp.get("/persons")
@lookup_limit
@spec.validate(
    query=schemas.PersonQuery,
    resp=Responses(HTTP_200=schemas.PersonLookup, **_ERRORS),
    tags=[TAG],
    security=AUTHENTICATED,
    skip_validation=True,
)
def persons() -> Response:
    """Find persons by name (typo-, accent- and word-order-tolerant), best first."""
    principal = require_principal()
    query = _parse(schemas.PersonQuery)
    return _answer(
        principal,
        "person",
        query.name,
        query.reason,
        {"date_of_birth": query.date_of_birth, "country": query.country},
    )
