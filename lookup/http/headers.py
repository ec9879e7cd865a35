"""The strict response headers every HTML page of DipCheck sends (officer web, QR, outreach).

One policy for all blueprints: nothing from another origin, no inline script or style, no
framing, no referrer (QR tokens sit in the path and must not leak as a Referer). The blueprints
differ only in what their pages need, which they pass as arguments: whether they run their own
script, whether images may be data: URLs (rendered QR codes), and the few extra headers and
caching rules of their own.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response
from werkzeug.datastructures import Headers

from lookup.config import current_settings

STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def content_security_policy(*, scripts: bool, data_images: bool) -> str:
    """A policy that allows only this origin's own files; `scripts` adds script-src 'self',
    `data_images` lets images be data: URLs."""
    directives = ["default-src 'none'"]
    if scripts:
        directives.append("script-src 'self'")
    directives.append("style-src 'self'")
    directives.append("img-src 'self' data:" if data_images else "img-src 'self'")
    directives.extend(("form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"))
    return "; ".join(directives)


def apply_strict_headers(
    headers: Headers,
    *,
    policy: str,
    no_store: bool,
    keep_cache_control: bool = False,
    extra: Mapping[str, str] | None = None,
) -> None:
    """Set the shared headers on a response's `headers`.

    `no_store`: the response shows personal data and must not be cached (set it False for
    static files); `keep_cache_control`: leave a Cache-Control the view chose itself; `extra`:
    the blueprint's own additional headers. HSTS is not a blueprint's choice: see
    add_transport_security.
    """
    headers["Content-Security-Policy"] = policy
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    for name, value in (extra or {}).items():
        headers[name] = value
    if no_store and not (keep_cache_control and "Cache-Control" in headers):
        headers["Cache-Control"] = "no-store"


def add_transport_security(response: Response) -> Response:
    """HSTS on every response of an app whose public URL is https: registered on the app, not on
    a blueprint, so no route (the QR pages, outreach, the API, health checks, errors) is left
    without it. A browser that met the site once never again sends an officer's cookie or a QR
    token over plain http."""
    public_url = current_settings().public_url
    if public_url and public_url.startswith("https://"):
        response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return response
