"""The JSON API (`/api/v1`) and the health endpoints (`/healthz`, `/readyz`)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from lookup.api import audit_log, health, incidents, lookups, ofm, public
from lookup.api import batch as _batch  # noqa: F401  (adds its route to lookups.bp)
from lookup.config import current_settings
from lookup.errors import ApiError, error_response
from lookup.store.base import StoreError

api_blueprint = Blueprint("api", __name__)
api_blueprint.register_blueprint(lookups.bp)
api_blueprint.register_blueprint(audit_log.bp)
api_blueprint.register_blueprint(public.bp)
api_blueprint.register_blueprint(incidents.bp)
api_blueprint.register_blueprint(ofm.bp)
health_blueprint = health.bp

MAX_QUERY_STRING = 4096


@api_blueprint.before_request
def _bounded_request() -> None:
    # GET routes read no body; refuse one anyway rather than let a client think it was read.
    if (request.content_length or 0) > current_settings().max_request_bytes:
        raise ApiError(413, "request_too_large", "the request body is too large")
    if len(request.query_string) > MAX_QUERY_STRING:
        # Not a body: a too-long query value is bad input, named like any other (400).
        longest = max(request.args.items(multi=True), key=lambda item: len(item[1]), default=None)
        field = longest[0] if longest is not None and longest[0] else "query"
        lookups.audit_refused("invalid_query", field=field)  # a refused lookup is audited too
        raise ApiError(400, "invalid_parameter", f"{field}: too long", field=field)


@api_blueprint.errorhandler(StoreError)
def _store_unavailable(_error: StoreError) -> Response:
    # A read of the state store that fails (the audit trail) is a dependency down, not a fault.
    return error_response(503, "unavailable", "the state store cannot answer now; try again later")


# The public routes (the immunity matrix, the OpenAPI document) hold nothing about anyone and
# choose their own caching; every other answer of the API may name a person or an officer.
_PUBLIC_BLUEPRINT = f"{api_blueprint.name}.{public.bp.name}"


@api_blueprint.after_request
def _headers(response: Response) -> Response:
    """Every API response: no MIME sniffing, and never cached unless the route is public."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.blueprint != _PUBLIC_BLUEPRINT:
        response.headers["Cache-Control"] = "no-store"
    return response


__all__ = ["api_blueprint", "health_blueprint"]
