"""The lookup routes: plate, plate pattern, credential, licence, person.

Each one authenticates (401), validates (400), counts against the caller's lookup allowance
(429), and runs `lookup.answers.service.run_lookup`, which audits before answering. A lookup refused
for credentials or rate is audited too (outcome `denied`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, jsonify, request
from flask_limiter import RateLimitExceeded
from pydantic import BaseModel
from spectree import Response as Responses

from lookup.answers.service import (
    InvalidQuery,
    LookupKind,
    LookupUnavailable,
    record_denied,
    run_lookup,
)
from lookup.api import schemas, text_answer
from lookup.api.on_behalf_of import attributed, attributed_if_valid
from lookup.api.params import parse
from lookup.api.text_answer import wants_text
from lookup.audit.records import AuditUnavailable
from lookup.config import current_settings
from lookup.errors import ApiError, error_response
from lookup.http.rate_limits import UNAVAILABLE_RETRY_SECONDS, lookup_limit
from lookup.identity.auth import current_principal, require_principal
from lookup.identity.principal import AuthError, Principal
from lookup.openapi.documented import documented
from lookup.openapi.spec import AUTHENTICATED, ErrorBody

log = logging.getLogger(__name__)
bp = Blueprint("api_lookups", __name__)
M = TypeVar("M", bound=BaseModel)

TAG = "lookups"
ERROR_RESPONSES: dict[str, Any] = {
    "HTTP_400": ErrorBody,
    "HTTP_401": ErrorBody,
    "HTTP_413": ErrorBody,
    "HTTP_429": ErrorBody,
    "HTTP_503": ErrorBody,
}
# Endpoint -> (lookup kind, where its value is: a view argument or a query parameter).
_LOOKUPS: dict[str, tuple[LookupKind, str]] = {
    "api.api_lookups.plate": ("plate", "plate"),
    "api.api_lookups.plate_pattern": ("plate_pattern", "pattern"),
    "api.api_lookups.credential": ("credential", "number"),
    "api.api_lookups.license": ("license", "number"),
    "api.api_lookups.persons": ("person", "name"),
    "api.api_lookups.plates_batch": ("plate", "plates"),
}
BATCH_FIELD = "plates"


def _client() -> str | None:
    return request.remote_addr


def _answer(
    principal: Principal,
    kind: LookupKind,
    value: str,
    query: schemas.LookupQuery,
    params: dict[str, Any] | None = None,
) -> Response:
    try:
        result = run_lookup(
            principal,
            channel="api",
            kind=kind,
            value=value,
            reason=query.reason,
            client=_client(),
            params=params,
        )
    except InvalidQuery as error:
        raise ApiError(400, "invalid_parameter", error.message, field=error.field) from None
    if wants_text(query.format):
        return answer_response(result.body, text_answer.render)
    return answer_response(result.json_body(), None)


def answer_response(
    body: dict[str, Any], as_text: Callable[[dict[str, Any]], str] | None
) -> Response:
    """The answer as JSON, or as text lines rendered from that same JSON (never cached: the API
    blueprint says so on every response, lookup/api/__init__.py)."""
    if as_text is None:
        return jsonify(body)
    return Response(as_text(body), mimetype=text_answer.TEXT)


def caller() -> Principal:
    """The caller (401 otherwise) with the officer it names (400 on a bad or missing
    X-On-Behalf-Of, audited like any refused lookup)."""
    principal = require_principal()
    try:
        return attributed(principal)
    except ApiError as error:
        audit_refused(error.code, field=error.field)
        raise


def _parse(model: type[M]) -> M:
    """The validated query string; a refusal is audited like any refused lookup."""
    try:
        return parse(model)
    except ApiError as error:
        audit_refused("invalid_query", field=error.field)
        raise


def _value_of(kind: str, where: str) -> str:
    if request.view_args and where in request.view_args:
        return str(request.view_args[where])
    if where == BATCH_FIELD:  # a batch: the plates of its body, as far as they can be read
        body = request.get_json(silent=True)
        plates = body.get(BATCH_FIELD) if isinstance(body, dict) else None
        return " ".join(map(str, plates)) if isinstance(plates, list) else ""
    return request.args.get(where, "")


def audit_refused(code: str, *, field: str | None = None) -> None:
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
    if principal is not None:
        principal = attributed_if_valid(principal)
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
    audit_refused(error.code)
    return error_response(
        401, error.code, error.message, headers={"WWW-Authenticate": 'Bearer realm="dipcheck"'}
    )


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(error: RateLimitExceeded) -> Response:
    audit_refused("rate_limited")
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
        headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)},
    )


@bp.errorhandler(AuditUnavailable)
def _audit_down(error: AuditUnavailable) -> Response:
    log.error("audit store unavailable: lookup refused", extra={"error_type": "AuditUnavailable"})
    phone = current_settings().verify_phone
    return error_response(
        503,
        "audit_unavailable",
        f"this lookup cannot be recorded, so it is refused; call {phone} to verify",
        headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)},
    )


@bp.get("/plates/<plate>")
@lookup_limit
@documented(
    query=schemas.LookupQuery,
    resp=Responses(HTTP_200=schemas.PlateLookup, **ERROR_RESPONSES),
    tags=[TAG],
    operation_id="getPlate",
    security=AUTHENTICATED,
    path_parameter_descriptions={"plate": "As typed: case, spaces and hyphens are ignored."},
)
def plate(plate: str) -> Response:
    """Find a vehicle by plate: exact, else confusable candidates (0/O/D/Q, 1/I, 5/S ...)."""
    principal = caller()
    query = _parse(schemas.LookupQuery)
    return _answer(principal, "plate", plate, query)


@bp.get("/plates")
@lookup_limit
@documented(
    query=schemas.PatternQuery,
    resp=Responses(HTTP_200=schemas.PlateLookup, **ERROR_RESPONSES),
    tags=[TAG],
    operation_id="searchPlates",
    security=AUTHENTICATED,
)
def plate_pattern() -> Response:
    """Find vehicles by a partial plate (`?` one character, `*` any run)."""
    principal = caller()
    query = _parse(schemas.PatternQuery)
    return _answer(principal, "plate_pattern", query.pattern, query)


@bp.get("/credentials/<number>")
@lookup_limit
@documented(
    query=schemas.LookupQuery,
    resp=Responses(HTTP_200=schemas.CredentialLookup, **ERROR_RESPONSES),
    tags=[TAG],
    operation_id="getCredential",
    security=AUTHENTICATED,
    path_parameter_descriptions={"number": "The State Department ID card number."},
)
def credential(number: str) -> Response:
    """Find the holder of a State Department ID card."""
    principal = caller()
    query = _parse(schemas.LookupQuery)
    return _answer(principal, "credential", number, query)


@bp.get("/licenses/<number>")
@lookup_limit
@documented(
    query=schemas.LookupQuery,
    resp=Responses(HTTP_200=schemas.LicenseLookup, **ERROR_RESPONSES),
    tags=[TAG],
    operation_id="getLicense",
    security=AUTHENTICATED,
    path_parameter_descriptions={"number": "The OFM driver licence number."},
)
def license(number: str) -> Response:
    """Find an OFM driver licence and its holder."""
    principal = caller()
    query = _parse(schemas.LookupQuery)
    return _answer(principal, "license", number, query)


@bp.get("/persons")
@lookup_limit
@documented(
    query=schemas.PersonQuery,
    resp=Responses(HTTP_200=schemas.PersonLookup, **ERROR_RESPONSES),
    tags=[TAG],
    operation_id="searchPersons",
    security=AUTHENTICATED,
)
def persons() -> Response:
    """Find persons by name (typo-, accent- and word-order-tolerant), best first."""
    principal = caller()
    query = _parse(schemas.PersonQuery)
    return _answer(
        principal,
        "person",
        query.name,
        query,
        {"date_of_birth": query.date_of_birth, "country": query.country},
    )
