"""Response headers and CSRF protection for the officer web pages.

Headers: a content security policy with no inline script or style and nothing from another
origin, no framing, no referrer, no caching (the pages show personal data; CJIS 5.13.3 and
ASVS 14.3.2 want nothing left behind on the phone), and HSTS when served over https
(set for the whole app by lookup.http.headers.add_transport_security).

CSRF: signed-in forms carry the session's random token (kept server-side with the session).
The login form has no session yet, so it uses a signed double-submit: a random nonce in a
short-lived cookie and, in the form, an HMAC of that nonce under the app's secret key. A
cross-site page can neither read the cookie nor forge the HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Response, current_app, request

from lookup.http.headers import apply_strict_headers, content_security_policy
from lookup.identity.sessions import secure_cookies

# manifest-src: the pages link the offline app's manifest (lookup/web/offline.py).
CONTENT_SECURITY_POLICY = (
    content_security_policy(scripts=True, data_images=False) + "; manifest-src 'self'"
)
# The offline QR verifier fetches the key set and the revocation list (through the worker).
VERIFIER_POLICY = CONTENT_SECURITY_POLICY + "; connect-src 'self'"
# A policy on a worker's script governs the worker: it fetches this origin's pages and files.
WORKER_POLICY = "default-src 'none'; connect-src 'self'"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=()"
# The verifier alone may ask for the camera, to scan a code.
VERIFIER_PERMISSIONS = "camera=(self), microphone=(), geolocation=(), payment=()"
LOGIN_NONCE_COOKIE = "dipcheck_login"
LOGIN_NONCE_MAX_AGE = 30 * 60


# A chart (an SVG image drawn by pygal) styles itself inline; loaded as an image it never runs
# script, and this policy gives it nothing else.
SVG_IMAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def _policy(response: Response) -> str:
    if request.endpoint == "web.offline_verifier":
        return VERIFIER_POLICY
    if request.endpoint == "web.service_worker":
        return WORKER_POLICY
    if response.mimetype == "image/svg+xml" and request.endpoint != "web.static":
        return SVG_IMAGE_POLICY
    return CONTENT_SECURITY_POLICY


def add_security_headers(response: Response) -> Response:
    verifier = request.endpoint == "web.offline_verifier"
    apply_strict_headers(
        response.headers,
        policy=_policy(response),
        no_store=request.endpoint != "web.static",
        extra={
            "Cross-Origin-Opener-Policy": "same-origin",
            "Cross-Origin-Resource-Policy": "same-origin",
            "Permissions-Policy": VERIFIER_PERMISSIONS if verifier else PERMISSIONS_POLICY,
        },
    )
    return response


def _login_mac(nonce: str) -> str:
    key = str(current_app.secret_key).encode("utf-8")
    return hmac.new(key, b"login-form:" + nonce.encode("utf-8"), hashlib.sha256).hexdigest()


def login_csrf_token() -> tuple[str, str | None]:
    """The token for the login form, and a new nonce to set as a cookie (None: keep the one the
    browser sent)."""
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE)
    if nonce and 16 <= len(nonce) <= 64:
        return _login_mac(nonce), None
    fresh = secrets.token_urlsafe(24)
    return _login_mac(fresh), fresh


def set_login_nonce(response: Response, nonce: str) -> None:
    response.set_cookie(
        LOGIN_NONCE_COOKIE,
        nonce,
        max_age=LOGIN_NONCE_MAX_AGE,
        httponly=True,
        secure=secure_cookies(),
        samesite="Strict",
        path="/",
    )


def login_csrf_valid(submitted: str | None) -> bool:
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE)
    if not nonce or not submitted or not 16 <= len(nonce) <= 64:
        return False
    return hmac.compare_digest(_login_mac(nonce), submitted)
