from __future__ import annotations

from werkzeug.datastructures import Headers

from lookup.http_headers import apply_strict_headers, content_security_policy


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
    apply_strict_headers(static, policy="x", no_store=False, hsts=True)
    assert "Cache-Control" not in static
    assert static["Strict-Transport-Security"].startswith("max-age=")
