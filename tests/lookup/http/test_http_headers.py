from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import Headers

from lookup.http.headers import (
    STRICT_TRANSPORT_SECURITY,
    apply_strict_headers,
    content_security_policy,
)
from tests.lookup.conftest import AppFactory


def test_policy_allows_only_own_files_and_names_each_difference() -> None:
    strict = content_security_policy(scripts=False, data_images=False)
    assert strict == (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    both = content_security_policy(scripts=True, data_images=True)
    assert "script-src 'self'" in both
    assert "img-src 'self' data:" in both
    assert "unsafe" not in both


def test_shared_headers_and_no_store() -> None:
    headers = Headers()
    apply_strict_headers(headers, policy="default-src 'none'", no_store=True, extra={"X-A": "b"})
    assert headers["Content-Security-Policy"] == "default-src 'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-A"] == "b"
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers


def test_a_view_chosen_cache_control_is_kept_only_when_asked() -> None:
    kept = Headers({"Cache-Control": "public, max-age=300"})
    apply_strict_headers(kept, policy="x", no_store=True, keep_cache_control=True)
    assert kept["Cache-Control"] == "public, max-age=300"
    replaced = Headers({"Cache-Control": "public, max-age=300"})
    apply_strict_headers(replaced, policy="x", no_store=True)
    assert replaced["Cache-Control"] == "no-store"
    static = Headers()
    apply_strict_headers(static, policy="x", no_store=False)
    assert "Cache-Control" not in static


@pytest.mark.parametrize(
    ("public_url", "expected"),
    [
        ("https://dipcheck.police.example.gov", True),
        ("http://127.0.0.1:5000", False),
        (None, False),
    ],
)
def test_hsts_on_every_route_of_every_blueprint_when_served_over_https(
    make_app: AppFactory, public_url: str | None, expected: bool
) -> None:
    app = make_app(public_url=public_url) if public_url else make_app()
    client = app.test_client()
    seen_blueprints = set()
    for rule in app.url_map.iter_rules():
        # Any value for each placeholder: the header is due on every answer, 404 and 400 too.
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "x1", rule.rule)
        method = "GET" if "GET" in (rule.methods or ()) else sorted(rule.methods or ())[0]
        response = client.open(path, method=method)
        header = response.headers.get("Strict-Transport-Security")
        assert (header == STRICT_TRANSPORT_SECURITY) is expected, (rule.rule, method, header)
        seen_blueprints.add(rule.endpoint.split(".")[0])
    assert {"web", "qr", "outreach", "api", "health", "sms"} <= seen_blueprints, seen_blueprints
    # And for a path no route serves.
    missing = client.get("/no/such/page").headers.get("Strict-Transport-Security")
    assert (missing == STRICT_TRANSPORT_SECURITY) is expected
