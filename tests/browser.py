"""Support for the browser tests (officer web, QR screens, outreach seminar): Debian's Chromium
driven by Playwright against the app served on a loopback port, and axe-core for accessibility.

The `browser` and `axe_available` fixtures in tests/conftest.py use these helpers. A missing
tool skips the test with the reason, except when CI=true, where it is a failure.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def skip_or_fail(reason: str | None) -> None:
    """Skip with `reason` (None: the tool is there); under CI=true, fail instead."""
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def missing_browser() -> str | None:
    if shutil.which(str(CHROMIUM)) is None:
        return f"Chromium not found at {CHROMIUM} (install it with `make system-deps`)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


def missing_axe() -> str | None:
    if not AXE.is_file():
        return f"axe-core not found at {AXE.relative_to(ROOT)} (install it with `make system-deps`)"
    return None


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """A headless Chromium (a Playwright Browser); skips or fails when it cannot run."""
    skip_or_fail(missing_browser())
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def without_dipcheck_environment() -> Iterator[None]:
    """No DIPCHECK_* variable of the shell leaks into an app built inside."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("DIPCHECK_"):
                patch.delenv(name)
        yield


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """`app` served on a free loopback port from a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page (its CSP must allow the injection,
    so open it in a context with bypass_csp=True)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
