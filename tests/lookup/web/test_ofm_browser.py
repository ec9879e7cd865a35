"""The OFM dashboard in a real browser (Debian's Chromium via Playwright): charts load as
images beside their tables, axe-core finds no serious violation, the dashboard fits a phone's
360 x 740 screen, and the notice prints without the site's header and navigation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from lookup import create_app
from lookup.extensions import search_backend, state_store
from lookup.identity import accounts
from tests.browser import axe_violations, served, without_dipcheck_environment
from tests.compliance_data import AS_OF, compliance_dataset
from tests.factories import MISSION_ID
from tests.lookup.web.conftest import (
    GENEROUS_LIMITS,
    Clock,
    OfficerLogin,
    make_officer,
    totp_code,
)

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("axe_available")]


@dataclass(frozen=True)
class Site:
    url: str
    app: Flask
    clock: Clock
    analyst: OfficerLogin


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Site]:
    clock = Clock()
    with without_dipcheck_environment():
        app = create_app(
            data_dir=tmp_path_factory.mktemp("ofm-e2e"),
            TESTING=True,
            CLOCK=clock,
            **GENEROUS_LIMITS,
        )
        with app.app_context():
            search_backend().publish(compliance_dataset())
            accounts.create_agency(state_store(), "OFM", kind="ofm")
        analyst = make_officer(app, "ana", agency="OFM", role="analyst")
        try:
            with served(app) as url:
                yield Site(url, app, clock, analyst)
        finally:
            with app.app_context():
                search_backend().close()


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}

# Boxes of the page that reach past the viewport's sides (beyond half a pixel of rounding), other
# than inside a scroll container (an element scrolling its overflow sideways), which may hold a
# wide table as long as the container itself fits. A box wholly left of the screen is hidden on
# purpose (the skip link, until it has focus) and is not cut.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (e) => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
  const inScroller = (e) => {
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      if (scrolls(p)) return true;
    }
    return false;
  };
  const found = [];
  for (const e of document.body.querySelectorAll('*')) {
    const box = e.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (inScroller(e)) continue;
    if ((box.left < -0.5 && box.right > 0.5) || box.right > width + 0.5) {
      const name = e.tagName.toLowerCase() + (e.className ? '.' + e.className : '');
      found.push(`${name} ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  return {width, scrollWidth: document.documentElement.scrollWidth, found};
}"""


def signed_in_page(
    browser: Any, site: Site, *, bypass_csp: bool = False, viewport: dict[str, int] = DESKTOP
) -> Any:
    page = browser.new_context(viewport=viewport, bypass_csp=bypass_csp)
    page = page.new_page()
    page.goto(f"{site.url}/login")
    page.get_by_label("I have read the notice above and accept it.").check()
    page.get_by_label("Username").fill(site.analyst.username)
    page.get_by_label("Password").fill(site.analyst.password)
    site.clock.advance(seconds=30)
    code = totp_code(site.analyst.totp_secret, site.clock())
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Sign in").click()
    return page


def test_dashboard_charts_render_with_their_tables(browser: Any, site: Site) -> None:
    page = signed_in_page(browser, site)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{site.url}/ofm/compliance?as_of={AS_OF}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Insurance compliance")
    images = page.locator(".chart img")
    assert images.count() == 5
    for index in range(5):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        width = page.evaluate("(img) => img.complete && img.naturalWidth", image.element_handle())
        assert width == 720
        table = page.locator(".chart").nth(index).locator("table")
        assert table.locator("tbody tr").count() >= 1
    assert errors == []  # no CSP violation, nothing failed to load
    page.get_by_role("link", name="Vehicles", exact=True).click()
    assert "sort=vehicles" in page.url
    page.context.close()


def test_dashboard_and_notice_pass_axe(browser: Any, site: Site) -> None:
    page = signed_in_page(browser, site, bypass_csp=True)
    for path in (
        f"/ofm/compliance?as_of={AS_OF}",
        f"/ofm/compliance/{MISSION_ID}/notice?as_of={AS_OF}",
    ):
        page.goto(f"{site.url}{path}")
        assert axe_violations(page) == [], path
    page.context.close()


def assert_within_phone(box: dict[str, float] | None) -> None:
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]


def test_the_dashboard_fits_a_phone_screen(browser: Any, site: Site) -> None:
    """At 360 x 740 nothing reaches past the screen's sides except inside a scroll container,
    each chart is drawn whole within the screen's width (scaled down, not cropped) beside its
    table, text stays at a readable size, and axe-core finds no serious violation."""
    page = signed_in_page(browser, site, bypass_csp=True, viewport=PHONE)
    page.goto(f"{site.url}/ofm/compliance?as_of={AS_OF}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Insurance compliance")
    layout = page.evaluate(OVERFLOWING)
    assert layout["found"] == []
    assert layout["scrollWidth"] <= layout["width"] == PHONE["width"]
    charts = page.locator(".chart")
    assert charts.count() == 5
    for index in range(5):
        chart = charts.nth(index)
        image = chart.locator("img")
        image.scroll_into_view_if_needed()
        assert page.evaluate("(img) => img.complete && img.naturalWidth", image.element_handle())
        box = image.bounding_box()
        # Scaled to the column, keeping its 2:1 shape: wide enough to read, never wider.
        assert_within_phone(box)
        assert box["width"] >= 0.8 * PHONE["width"]
        assert abs(box["height"] - box["width"] / 2) <= 2
        table = chart.locator("table")
        wrap = chart.locator(".table-wrap")
        assert_within_phone(wrap.bounding_box())
        assert table.locator("tbody tr").count() >= 1
        cell = table.locator("tbody th, tbody td").first
        size = page.evaluate(
            "(e) => parseFloat(getComputedStyle(e).fontSize)", cell.element_handle()
        )
        assert size >= 12
    assert axe_violations(page) == []
    page.context.close()


def test_the_notice_prints_on_its_own(browser: Any, site: Site) -> None:
    page = signed_in_page(browser, site)
    page.goto(f"{site.url}/ofm/compliance/{MISSION_ID}/notice?as_of={AS_OF}")
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    assert not page.locator("footer").is_visible()
    assert page.locator(".notice table tbody tr").count() == 8
    pdf = page.pdf(format="Letter")
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1  # one page per mission
    page.context.close()
