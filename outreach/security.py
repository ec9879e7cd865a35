"""Response headers and CSRF protection for the outreach pages.

The pages load only their own CSS and JS (no inline script, nothing from another origin), so the
slides, handouts and quiz work offline in a training room and a stray tag in content could not run
even if it escaped the Markdown renderer. Forms carry a random token kept in the signed session
cookie; a cross-site page cannot read it.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Final

from flask import Response, abort, request, session

from lookup.http.headers import apply_strict_headers, content_security_policy

# connect-src: the attendee and projection pages poll their own small JSON status (static/live.js).
CONTENT_SECURITY_POLICY: Final = (
    content_security_policy(scripts=True, data_images=True) + "; connect-src 'self'"
)
CSRF_KEY: Final = "outreach_csrf"
CSRF_FIELD: Final = "csrf_token"


def add_headers(response: Response) -> Response:
    apply_strict_headers(
        response.headers,
        policy=CONTENT_SECURITY_POLICY,
        # Rosters and quiz answers are personal data; public pages are cheap to re-send, and a
        # view that chose its own caching keeps it.
        no_store=request.endpoint != "outreach.static",
        keep_cache_control=True,
        extra={"Cross-Origin-Opener-Policy": "same-origin"},
    )
    return response


def csrf_token() -> str:
    token = session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return token


def check_csrf() -> None:
    """Abort with 400 unless the submitted form carries this browser's token."""
    expected = session.get(CSRF_KEY)
    submitted = request.form.get(CSRF_FIELD, "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected, submitted):
        abort(400, description="csrf_token: the form expired; reload the page and try again")
