"""The verification screens in a real browser (Debian's Chromium through Playwright) at a phone's
360 px width, light and dark: no serious accessibility violation (axe-core), no horizontal
scrolling, nothing blocked by the Content-Security-Policy, and no script on the page at all."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from lookup import create_app
from lookup.extensions import search_backend
from lookup.qr.documents import issue
from lookup.qr.key_ring import keystore
from lookup.qr.tokens import Claims, sign
from tests.browser import axe_violations, served
from tests.factories import DIPLOMAT_CREDENTIAL, DIPLOMAT_PLATE, small_dataset

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("axe_available")]

WIDTH = 360


@dataclass(frozen=True)
class Site:
    url: str
    screens: dict[str, str]  # result name -> path of a token that gives it


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Site]:
    app = create_app(
        data_dir=tmp_path_factory.mktemp("qr-e2e"), TESTING=True, QR_RATELIMIT="10000/minute"
    )
    now = int(datetime.now(UTC).timestamp())
    with app.app_context():
        search_backend().publish(small_dataset())
        keystore().create()
        key = keystore().signer()
        with search_backend().snapshot() as snapshot:
            valid = issue(snapshot, "credential", DIPLOMAT_CREDENTIAL, key, zone=UTC).token
            vehicle = issue(snapshot, "vehicle", DIPLOMAT_PLATE, key, zone=UTC).token
    screens = {
        "valid": valid,
        "valid vehicle": vehicle,
        "invalid": valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB"),
        "expired": sign(Claims("credential", DIPLOMAT_CREDENTIAL, now - 99, now - 9), key),
        "revoked": sign(Claims("credential", "OF900001", now - 9, now + 999), key),
    }
    with served(app) as url:
        yield Site(url, screens)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_screen_is_accessible_on_a_phone(browser: Any, site: Site, scheme: str) -> None:
    # CSP bypassed only so that axe-core itself can be injected into the page.
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 740}, color_scheme=scheme, bypass_csp=True
    )
    page = context.new_page()
    try:
        for name, token in site.screens.items():
            page.goto(f"{site.url}/v/{token}")
            assert page.locator("h1").count() == 1, name
            assert page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH, name
            assert axe_violations(page) == [], name
    finally:
        context.close()


def test_the_policy_blocks_nothing_the_page_uses(browser: Any, site: Site) -> None:
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 740}, java_script_enabled=False
    )
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text))
    page.on("requestfailed", lambda request: blocked.append(request.url))
    try:
        page.goto(f"{site.url}/v/{site.screens['valid']}")
        assert page.locator(".tone-good").count() == 1
        assert page.locator("script").count() == 0
        # The stylesheet applied: the verdict banner has its colour, not the default.
        colour = page.locator(".result").evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour == "rgb(27, 94, 32)"
        assert blocked == []
    finally:
        context.close()
