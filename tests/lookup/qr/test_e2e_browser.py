"""The verification screens in a real browser (Debian's Chromium through Playwright) at a phone's
360 px width, light and dark: no serious accessibility violation (axe-core), no horizontal
scrolling, nothing blocked by the Content-Security-Policy, and no script on the page at all."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from lookup import create_app
from lookup.extensions import search_backend
from lookup.qr.documents import issue
from lookup.qr.tokens import Claims, sign
from lookup.qr.views import keystore
from tests.factories import DIPLOMAT_CREDENTIAL, DIPLOMAT_PLATE, small_dataset

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDTH = 360


def _missing() -> str | None:
    if shutil.which(str(CHROMIUM)) is None:
        return f"Chromium not found at {CHROMIUM} (install it with `make system-deps`)"
    if not AXE.is_file():
        return "axe-core not found in node_modules (install it with `make system-deps`)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


@dataclass(frozen=True)
class Served:
    url: str
    screens: dict[str, str]  # result name -> path of a token that gives it


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Served]:
    app = create_app(
        data_dir=tmp_path_factory.mktemp("qr-e2e"), TESTING=True, QR_RATELIMIT="10000/minute"
    )
    now = int(datetime.now(UTC).timestamp())
    with app.app_context():
        search_backend().publish(small_dataset())
        keystore().create()
        key = keystore().signer()
        with search_backend().snapshot() as snapshot:
            valid = issue(snapshot, "credential", DIPLOMAT_CREDENTIAL, key).token
            vehicle = issue(snapshot, "vehicle", DIPLOMAT_PLATE, key).token
    screens = {
        "valid": valid,
        "valid vehicle": vehicle,
        "invalid": valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB"),
        "expired": sign(Claims("credential", DIPLOMAT_CREDENTIAL, now - 99, now - 9), key),
        "revoked": sign(Claims("credential", "OF900001", now - 9, now + 999), key),
    }
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_port}", screens)
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_screen_is_accessible_on_a_phone(browser: Any, served: Served, scheme: str) -> None:
    # CSP bypassed only so that axe-core itself can be injected into the page.
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 740}, color_scheme=scheme, bypass_csp=True
    )
    page = context.new_page()
    try:
        for name, token in served.screens.items():
            page.goto(f"{served.url}/v/{token}")
            assert page.locator("h1").count() == 1, name
            assert page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH, name
            assert _violations(page) == [], name
    finally:
        context.close()


def test_the_policy_blocks_nothing_the_page_uses(browser: Any, served: Served) -> None:
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 740}, java_script_enabled=False
    )
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text))
    page.on("requestfailed", lambda request: blocked.append(request.url))
    try:
        page.goto(f"{served.url}/v/{served.screens['valid']}")
        assert page.locator(".tone-good").count() == 1
        assert page.locator("script").count() == 0
        # The stylesheet applied: the verdict banner has its colour, not the default.
        colour = page.locator(".result").evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour == "rgb(27, 94, 32)"
        assert blocked == []
    finally:
        context.close()
