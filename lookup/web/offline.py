"""The offline, installable officer app: a web app manifest, a service worker, the offline page
and the offline QR verifier.

With no network the officer still has what a roadside stop needs: the 24/7 call button, the
immunity matrix (levels and the five actions, from the rules file), the pocket card (the outreach
package adds it to the bundle) and a QR verifier that checks a code's Ed25519 signature against
the cached public key set and the cached revocation list (static/offline/verifier.js).

What the worker caches is this bundle only: public pages and files that carry no personal data
(the pages are rendered without the officer's session, and the worker fetches them without
cookies). Answer pages, lookups and everything behind sign-in are never stored on the phone.
The cache is named after a version: a hash of every file the bundle is made from, so a deploy
that changes any of them makes the browser install the new worker, which replaces the cache.

Routes: `/offline` (the offline page), `/offline/verify` (the verifier), `/offline/bundle.json`
(the version and the URLs to cache), `/service-worker.js` (at the root: its scope is every
officer page, so a page opened offline gets the offline page instead of the browser's error).
The manifest, the worker's own script and the icons are static files under static/offline/.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any, Final, get_args

from flask import (
    Response,
    current_app,
    jsonify,
    render_template,
    send_from_directory,
    url_for,
)

from lookup.config import current_settings
from lookup.http.offline_bundle import bundle_of
from lookup.qr import screens, tokens
from lookup.qr.keys import KID_BYTES
from lookup.qr.receipts import INSURANCE_LETTERS, LEVEL_LETTERS
from lookup.qr.revocations import ENTRY_BYTES, ENTRY_CONTEXT
from lookup.qr.screens import OFFLINE_VALID_MESSAGE, PROOF_LIMIT, SCREENS, failure_notice
from lookup.rules.immunity import ACTION_CODES, DEFAULT_MATRIX_PATH
from lookup.rules.matrix_source import current_matrix, matrix_path
from lookup.web.blueprint import bp

STATIC_DIR: Final = Path(__file__).resolve().parent / "static"
TEMPLATES_DIR: Final = Path(__file__).resolve().parent / "templates" / "web"
WORKER_FILE: Final = "offline/service-worker.js"
# The web's static files the offline pages use, relative to static/.
STATIC_FILES: Final = (
    "card.css",
    "web.css",
    "print.css",
    "offline/offline.css",
    "offline/register.js",
    "offline/token.js",
    "offline/verifier.js",
    "offline/vendor/jsQR.js",
    "offline/manifest.webmanifest",
    "offline/icon-192.png",
    "offline/icon-512.png",
)
TEMPLATES: Final = ("base.html", "offline.html", "offline_verify.html")


def data_urls() -> list[str]:
    """The public data the verifier reads, refreshed by the worker whenever the network answers."""
    return [url_for("qr.public_keys"), url_for("qr.revocation_list")]


def bundle_urls() -> list[str]:
    """Every URL the worker caches when it installs, in a fixed order."""
    bundle = bundle_of(current_app)
    pages = [url_for("web.offline_page"), url_for("web.offline_verifier")]
    pages.extend(url_for(page.endpoint) for page in bundle.pages)
    static = [url_for("web.static", filename=name) for name in STATIC_FILES]
    static.extend(url_for(item.endpoint, filename=item.filename) for item in bundle.files)
    return [*pages, *static, *data_urls()]


def offline_version() -> str:
    """The cache version: a hash of every file the bundle is made from and of the settings its
    pages show, computed once per app (a deploy restarts the app)."""
    bundle = bundle_of(current_app)
    if bundle.version is None:
        settings = current_settings()
        digest = hashlib.sha256()
        paths = [
            STATIC_DIR / WORKER_FILE,
            *(STATIC_DIR / name for name in STATIC_FILES),
            *(TEMPLATES_DIR / name for name in TEMPLATES),
            Path(screens.__file__),
            matrix_path(current_app) or DEFAULT_MATRIX_PATH,
            *bundle.sources,
        ]
        for path in paths:
            digest.update(path.read_bytes())
        digest.update(f"{settings.verify_phone}\n{settings.verify_phone_label}".encode())
        digest.update("\n".join(bundle_urls()).encode())
        bundle.version = digest.hexdigest()[:16]
    return bundle.version


def _levels_table() -> list[dict[str, Any]]:
    """The matrix by level: what each of the five actions allows at each immunity level, in the
    words the answers use."""
    matrix = current_matrix()
    return [
        {
            "code": level.code,
            "label": level.label,
            "cells": [
                {
                    "label": matrix.actions[code].label,
                    "text": matrix.actions[code].values[level.actions[code]].text,
                }
                for code in ACTION_CODES
            ],
        }
        for level in matrix.levels.values()
    ]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _token_format() -> dict[str, Any]:
    """The token format's numbers and code tables for static/offline/token.js, from the
    constants the Python issuer and verifier use (tokens.py, revocations.py, receipts.py)."""
    return {
        "version": tokens.FORMAT_VERSION,
        "context": _b64(tokens.SIGNING_CONTEXT),
        "kinds": {str(tokens.kind_code(kind)): kind for kind in get_args(tokens.TokenKind)},
        "kid_bytes": KID_BYTES,
        "signature_bytes": tokens.SIGNATURE_BYTES,
        "max_chars": tokens.MAX_TOKEN_CHARS,
        "skew": tokens.CLOCK_SKEW_SECONDS,
        "scan_path": tokens.SCAN_PATH,
        "limits": {
            "subject": tokens.MAX_SUBJECT_BYTES,
            "query": tokens.MAX_QUERY_BYTES,
            "summary": tokens.MAX_SUMMARY_BYTES,
            "holder": tokens.MAX_HOLDER_BYTES,
        },
        "channels": tokens.CHANNELS,
        "query_kinds": tokens.QUERY_KINDS,
        "outcomes": tokens.OUTCOMES,
        "revocation": {"context": _b64(ENTRY_CONTEXT), "bytes": ENTRY_BYTES},
        "levels": {letter: level.replace("_", " ") for level, letter in LEVEL_LETTERS.items()},
        "insurance": {
            letter: status.replace("_", " ") for status, letter in INSURANCE_LETTERS.items()
        },
    }


@bp.context_processor
def _offline_context() -> dict[str, str]:
    """The worker's address for the registration script in every page's head: its version in
    the query, so a new bundle is a new worker."""
    return {"offline_worker_url": url_for("web.service_worker", v=offline_version())}


@bp.get("/offline")
def offline_page() -> str:
    """The page the worker shows for any officer page opened without a network. The same for
    everyone: rendered without the session (no name, no sign-out form, no CSRF token)."""
    matrix = current_matrix()
    return render_template(
        "web/offline.html",
        web_session=None,
        levels=_levels_table(),
        # The notes every answer shows; the others depend on the person.
        footnotes=[note for note in matrix.footnotes if note.always],
        extra_pages=[
            {"url": url_for(page.endpoint), "title": page.title}
            for page in bundle_of(current_app).pages
        ],
    )


@bp.get("/offline/verify")
def offline_verifier() -> str:
    """The offline QR verifier. Its wording per verdict is the online screens' (screens.py)."""
    settings = current_settings()
    return render_template(
        "web/offline_verify.html",
        web_session=None,
        screens=list(SCREENS.values()),
        notice=failure_notice(settings.verify_phone_label, settings.verify_phone),
        valid_message=OFFLINE_VALID_MESSAGE,
        compare=f"{PROOF_LIMIT} If anything differs, call {settings.verify_phone}.",
        token_format=_token_format(),
        keys_url=url_for("qr.public_keys"),
        revocations_url=url_for("qr.revocation_list"),
    )


@bp.get("/offline/bundle.json")
def offlinebundle_of() -> Response:
    return jsonify({"version": offline_version(), "urls": bundle_urls(), "data": data_urls()})


@bp.get("/service-worker.js")
def service_worker() -> Response:
    """The worker's script, from the root so that its scope covers every officer page."""
    return send_from_directory(STATIC_DIR, WORKER_FILE, mimetype="text/javascript")
