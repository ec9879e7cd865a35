"""The `web` blueprint: officer pages at `/`, their static files at `/web-static/`, the security
headers on every response, and HTML error pages (the JSON API keeps its JSON errors)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, render_template
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import HTTPException

from lookup.answers.phone_links import tel_href
from lookup.config import current_settings
from lookup.errors import RETRY_AFTER_SECONDS
from lookup.extensions import EXTENSION_KEY, Services
from lookup.identity import sessions
from lookup.identity.principal import CredentialsUnavailable
from lookup.screens.officer import OfficerScreenUi
from lookup.web.security import add_security_headers

log = logging.getLogger(__name__)

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/web-static",
)


@bp.record_once
def _declare_collections(state: BlueprintSetupState) -> None:
    services: Services = state.app.extensions[EXTENSION_KEY]
    services.declare(sessions.SPECS)


bp.after_request(add_security_headers)


@bp.context_processor
def _template_context() -> dict[str, Any]:
    settings = current_settings()
    return {
        "ui": OfficerScreenUi(),
        "verify_phone": settings.verify_phone,
        "verify_tel": tel_href(settings.verify_phone),
        "web_session": _session_or_none(),
    }


def _session_or_none() -> sessions.WebSession | None:
    """The session for the page header; None when it cannot be checked (the page rendered is
    then the "cannot verify now" one)."""
    try:
        return sessions.current_web_session()
    except CredentialsUnavailable:
        return None


def error_page(status: int, title: str, message: str, *, show_call: bool = False) -> Response:
    html = render_template("web/error.html", title=title, message=message, show_call=show_call)
    return Response(html, status=status, mimetype="text/html")


_TITLES = {
    400: ("Check the form", "The request could not be read. Go back and try again."),
    403: ("Not allowed", "Your role or agency does not allow this page."),
    404: ("Not found", "There is no such page."),
    405: ("Not allowed", "This page cannot be used that way."),
    413: ("Too large", "The request is too large."),
    429: ("Too many lookups", "Too many requests in a short time. Wait a minute and try again."),
}


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    title, message = _TITLES.get(status, ("Error", "Something went wrong."))
    response = error_page(status, title, message, show_call=status == 429)
    for name, value in error.get_headers():
        if name == "Retry-After":
            response.headers[name] = value
    return response


@bp.errorhandler(CredentialsUnavailable)
def _credentials_unavailable(error: CredentialsUnavailable) -> Response:
    log.warning("web page refused: the session cannot be checked now")
    response = error_page(
        503,
        "Cannot verify now",
        "DipCheck cannot check your sign-in at the moment. Call the 24/7 number to verify "
        "status; do not treat this as “no record”.",
        show_call=True,
    )
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    # Type only: the message may hold what the officer typed.
    log.error("web page failed", extra={"error_type": type(error).__name__})
    return error_page(
        500,
        "Cannot verify now",
        "DipCheck could not answer. Call the 24/7 number to verify status.",
        show_call=True,
    )
