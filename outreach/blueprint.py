"""The outreach blueprint object, shared by the view modules, with its headers and error pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from werkzeug.exceptions import HTTPException

from outreach.security import CSRF_FIELD, add_headers, csrf_token

bp = Blueprint(
    "outreach",
    __name__,
    url_prefix="/outreach",
    template_folder="templates",
    static_folder="static",
    cli_group="outreach",
)
bp.after_request(add_headers)


@bp.app_context_processor
def _template_globals() -> dict[str, Any]:
    return {"outreach_csrf_token": csrf_token, "outreach_csrf_field": CSRF_FIELD}


@bp.errorhandler(HTTPException)
def _error_page(error: HTTPException) -> tuple[str, int]:
    status = error.code or 500
    return (
        render_template(
            "outreach/error.html", status=status, title=error.name, message=error.description
        ),
        status,
    )
