"""Every error leaves the app as `{"error": {"code", "message"[, "field"]}}` with a fitting status.

Bad input is a 4xx naming the field; an unexpected failure is a JSON 500 that tells the officer to
call the 24/7 number, logged with the exception type and code location only (an exception message
may carry a plate or a name). Pages outside the JSON API may still answer in HTML: a browser that
asks for HTML outside `/api/` gets Werkzeug's plain page, unless a blueprint handles the error.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from flask import Flask, Response, jsonify, request
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from lookup.config import current_settings
from lookup.identity.principal import AuthError, CredentialsUnavailable

log = logging.getLogger(__name__)
# How long a client should wait before asking again when DipCheck cannot verify now.
RETRY_AFTER_SECONDS = "30"

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    413: "request_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    429: "rate_limited",
    431: "headers_too_large",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error answer: raise it anywhere in a request."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}


def error_body(
    code: str, message: str, field: str | None = None, reference: str | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    if reference is not None:
        error["reference"] = reference
    return {"error": error}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    reference: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    response = jsonify(error_body(code, message, field, reference))
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def wants_json() -> bool:
    """JSON for the API and for any client that does not prefer HTML."""
    if request.path.startswith("/api/") or request.path in ("/healthz", "/readyz"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best != "text/html"


def _http_error(error: HTTPException) -> Response | HTTPException:
    if not wants_json():
        return error
    status = error.code or 500
    headers: dict[str, str] = {}
    if status == 405:
        allowed = error.get_headers()
        headers.update({name: value for name, value in allowed if name == "Allow"})
    message = {
        404: "no such resource",
        405: f"method {request.method} is not allowed here",
        413: "the request is too large",
    }.get(status, error.description or error.name)
    return error_response(status, _CODES.get(status, "http_error"), message, headers=headers)


def _rate_limited(error: RateLimitExceeded) -> Response:
    # Flask-Limiter adds Retry-After and the X-RateLimit-* headers to this response afterwards.
    return error_response(
        429, "rate_limited", f"too many requests ({error.description}); retry later"
    )


def _api_error(error: ApiError) -> Response:
    return error_response(
        error.status, error.code, error.message, field=error.field, headers=error.headers
    )


def _auth_error(error: AuthError) -> Response:
    return error_response(
        401, error.code, error.message, headers={"WWW-Authenticate": 'Bearer realm="dipcheck"'}
    )


def _credentials_unavailable(error: CredentialsUnavailable) -> Response | HTTPException:
    """The store cannot say who is asking (API key, web session): 503 on every channel that
    has no page of its own, never 500 nor 401."""
    log.warning("request refused: credentials cannot be checked now")
    phone = current_settings().verify_phone
    if not wants_json():
        unavailable = ServiceUnavailable(
            description=f"Cannot verify now; call {phone} to verify status.",
            retry_after=int(RETRY_AFTER_SECONDS),
        )
        return unavailable
    return error_response(
        503,
        "cannot_verify",
        f"cannot verify now, call {phone}",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    return " <- ".join(f"{frame.name}@{frame.filename}:{frame.lineno}" for frame in frames[-3:])


def _unexpected(error: Exception) -> Response | HTTPException:
    # Type and location only: the message and the locals may hold what the officer typed.
    log.error(
        "unhandled exception",
        extra={"error_type": type(error).__name__, "where": _where(error)},
    )
    phone = current_settings().verify_phone
    message = f"cannot verify now; call {phone} to verify status"
    if not wants_json():
        return InternalServerError(description=message[0].upper() + message[1:] + ".")
    return error_response(500, "internal_error", message)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(AuthError, _auth_error)
    app.register_error_handler(CredentialsUnavailable, _credentials_unavailable)
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
