"""The officer web in a real browser: Debian's Chromium driven by Playwright at a phone's
360 x 740 viewport, against the app served on a loopback port.

One server and one browser serve the whole module; each test opens its own browser context
(its own cookies). The app's clock is a test Clock, so timeouts are tested by moving time.
Screenshots of three action cards go to test-artifacts/screenshots/ for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from lookup import create_app
from lookup.audit.records import records
from lookup.extensions import search_backend
from lookup.store.base import AuditFilter
from tests.browser import ROOT, axe_violations, served, without_dipcheck_environment
from tests.lookup.web.conftest import (
    GENEROUS_LIMITS,
    OFFICIAL_ACTS_CREDENTIAL,
    Clock,
    OfficerLogin,
    make_officer,
    totp_code,
    web_dataset,
)

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("axe_available")]

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
VIEWPORT = {"width": 360, "height": 740}
PAGE_BUDGET_BYTES = 100 * 1024


@dataclass(frozen=True)
class Site:
    url: str
    app: Flask
    clock: Clock
    ada: OfficerLogin
    boss: OfficerLogin
    locky: OfficerLogin
    county: OfficerLogin

    def code(self, who: OfficerLogin) -> str:
        # Each sign-in uses a fresh 30-second step: a code is accepted only once.
        self.clock.advance(seconds=30)
        return totp_code(who.totp_secret, self.clock())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Site]:
    clock = Clock()
    with without_dipcheck_environment():
        app = create_app(
            data_dir=tmp_path_factory.mktemp("web-e2e"),
            TESTING=True,
            CLOCK=clock,
            **GENEROUS_LIMITS,
        )
        with app.app_context():
            search_backend().publish(web_dataset())
        try:
            with served(app) as url:
                yield Site(
                    url=url,
                    app=app,
                    clock=clock,
                    ada=make_officer(app, "ada"),
                    boss=make_officer(app, "boss", role="supervisor"),
                    locky=make_officer(app, "locky"),
                    county=make_officer(app, "cy", agency="County Sheriff"),
                )
        finally:
            with app.app_context():
                search_backend().close()


def new_page(
    browser: Any, *, javascript: bool = True, bypass_csp: bool = False, dark: bool = False
) -> Any:
    context = browser.new_context(
        color_scheme="dark" if dark else "light",
        viewport=VIEWPORT,
        device_scale_factor=2,
        has_touch=True,
        is_mobile=True,
        java_script_enabled=javascript,
        bypass_csp=bypass_csp,
    )
    return context.new_page()


def sign_in(page: Any, site: Site, who: OfficerLogin, *, code: str | None = None) -> None:
    page.goto(f"{site.url}/login")
    page.get_by_label("I have read the notice above and accept it.").check()
    page.get_by_label("Username").fill(who.username)
    page.get_by_label("Password").fill(who.password)
    page.get_by_label("Code from your authenticator app").fill(
        code if code is not None else site.code(who)
    )
    page.get_by_role("button", name="Sign in").click()


def look_up(page: Any, text: str, *, kind: str = "Detect", reason: str = "Traffic stop") -> None:
    form = page.locator("#search")
    form.get_by_label("Plate, ID card number, licence number or name").fill(text)
    form.get_by_label(kind, exact=True).check()
    form.get_by_label("Reason").select_option(label=reason)
    # Wait for the answer page itself, not just the click, before measuring anything on it.
    with page.expect_navigation():
        form.get_by_role("button", name="Check").click()


def level_banner(page: Any) -> str:
    return str(page.locator(".level").first.inner_text())


def transferred_bytes(page: Any) -> int:
    """Bytes over the wire (headers included) for the current page and its resources. A file the
    offline app's service worker fetched for the page reads 0 transferred in the page's timing,
    so its body counts instead: the page weighs what it loads, worker or not."""
    return int(
        page.evaluate(
            """() => performance.getEntriesByType('navigation')
                .concat(performance.getEntriesByType('resource'))
                .reduce((sum, e) => sum + Math.max(e.transferSize, e.encodedBodySize), 0)"""
        )
    )


def no_horizontal_scroll(page: Any) -> bool:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    return int(width) <= VIEWPORT["width"]


def test_lookups_work_without_javascript(browser: Any, site: Site) -> None:
    page = new_page(browser, javascript=False)
    sign_in(page, site, site.ada)
    page.wait_for_url("**/lookup")

    look_up(page, "DVL 1234", reason="Crash")
    assert "FULL IMMUNITY" in level_banner(page)
    assert page.get_by_text("A plate identifies the registrant, not the driver.").is_visible()
    call = page.get_by_role("link", name="Call (571) 345-3146 to verify (24/7)")
    assert call.get_attribute("href") == "tel:+15713453146"
    # The reason stays chosen for the next lookup.
    assert page.locator("#reason").input_value() == "crash"

    look_up(page, OFFICIAL_ACTS_CREDENTIAL, reason="Crash")
    assert "OFFICIAL-ACTS IMMUNITY ONLY" in level_banner(page)
    look_up(page, "OFM100200", reason="Crash")
    assert page.get_by_role("heading", level=1).inner_text() == "Licence OFM100200"
    assert "Licence valid" in page.locator(".badges").first.inner_text()
    look_up(page, "Quell", reason="Crash")
    assert "UNVERIFIED" in level_banner(page)
    look_up(page, "DVL?234", reason="Crash")
    assert page.get_by_role("button", name="Open plate DVLI234").is_visible()

    # A misread plate: pick the candidate, which runs an exact lookup of it.
    look_up(page, "DVL1Z34", kind="Plate", reason="Crash")
    assert page.locator("mark.sub").first.inner_text() == "2"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "plate-candidates.png"), full_page=True)
    page.get_by_role("button", name="Open plate DVL1234").click()
    assert "FULL IMMUNITY" in level_banner(page)
    assert page.get_by_role("heading", name="DVL1234", exact=True).is_visible()

    with site.app.app_context():
        web = [
            r
            for r in records(AuditFilter(channel="web"))
            if r.actor == f"officer:{site.ada.officer_id}"
        ]
    lookups = [(r.action, r.reason) for r in web if r.action != "login"]
    assert [kind for kind, _ in lookups][:7] == [
        "plate",
        "plate",
        "plate_pattern",
        "person",
        "license",
        "credential",
        "plate",
    ]
    assert {reason for _, reason in lookups} == {"crash"}
    page.context.close()


def test_pages_are_accessible_fit_a_phone_and_stay_small(browser: Any, site: Site) -> None:
    page = new_page(browser, bypass_csp=True)  # only so axe-core can be injected
    page.goto(f"{site.url}/login")
    assert axe_violations(page) == []
    assert no_horizontal_scroll(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "sign-in.png"), full_page=True)
    sign_in(page, site, site.ada)
    page.wait_for_url("**/lookup")
    assert axe_violations(page) == []

    # An empty cache, so the page and every asset it needs are transferred and counted.
    page.context.new_cdp_session(page).send("Network.clearBrowserCache")
    page.reload()
    assert 0 < transferred_bytes(page) < PAGE_BUDGET_BYTES

    for text, level, name in (
        ("DA123456", "FULL IMMUNITY", "full-immunity"),
        (OFFICIAL_ACTS_CREDENTIAL, "OFFICIAL-ACTS IMMUNITY ONLY", "official-acts"),
        ("OF900001", "UNVERIFIED", "unverified"),
    ):
        look_up(page, text)
        assert level in level_banner(page)
        assert no_horizontal_scroll(page)
        assert transferred_bytes(page) < PAGE_BUDGET_BYTES
        page.screenshot(path=str(SCREENSHOTS / f"action-card-{name}.png"), full_page=False)
        page.screenshot(path=str(SCREENSHOTS / f"action-card-{name}-full.png"), full_page=True)
    look_up(page, "DVL1234")
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "plate-answer-full.png"), full_page=True)
    assert axe_violations(page) == []
    page.context.close()


def test_dark_mode_is_readable(browser: Any, site: Site) -> None:
    page = new_page(browser, bypass_csp=True, dark=True)
    sign_in(page, site, site.ada)
    page.wait_for_url("**/lookup")
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 17, 21)"
    look_up(page, OFFICIAL_ACTS_CREDENTIAL)
    assert "OFFICIAL-ACTS IMMUNITY ONLY" in level_banner(page)
    assert axe_violations(page) == []
    page.screenshot(path=str(SCREENSHOTS / "action-card-official-acts-dark.png"), full_page=True)
    page.context.close()


def test_content_security_policy_blocks_nothing_the_pages_use(browser: Any, site: Site) -> None:
    page = new_page(browser)
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    sign_in(page, site, site.ada)
    page.wait_for_url("**/lookup")
    look_up(page, "DVL1234")
    assert "FULL IMMUNITY" in level_banner(page)
    assert [text for text in refused if "Content Security Policy" in text] == []
    page.context.close()


def test_lockout_and_unlock(browser: Any, site: Site) -> None:
    page = new_page(browser)
    for _ in range(5):
        sign_in(page, site, site.locky, code="000000")
        assert page.locator("#login-error").is_visible()
    sign_in(page, site, site.locky)
    assert "locked" in page.locator("#login-error").inner_text()

    boss = new_page(browser)
    sign_in(boss, site, site.boss)
    boss.wait_for_url("**/lookup")
    boss.get_by_role("link", name="Officers").click()
    boss.get_by_role("button", name="Unlock locky").click()
    assert boss.get_by_role("button", name="Unlock locky").count() == 0

    sign_in(page, site, site.locky)
    page.wait_for_url("**/lookup")
    boss.context.close()
    page.context.close()


def test_idle_timeout_asks_for_a_new_sign_in(browser: Any, site: Site) -> None:
    page = new_page(browser)
    sign_in(page, site, site.ada)
    page.wait_for_url("**/lookup")
    site.clock.advance(minutes=29)
    page.reload()
    assert page.url.endswith("/lookup")
    site.clock.advance(minutes=31)
    page.reload()
    assert "/login" in page.url
    assert page.get_by_text("Your session has ended").is_visible()
    page.context.close()


def test_supervisor_sees_own_agency_audit_and_gets_403_for_another(
    browser: Any, site: Site
) -> None:
    officer = new_page(browser)
    sign_in(officer, site, site.ada)
    officer.wait_for_url("**/lookup")
    look_up(officer, "CCR 0581", reason="Investigation")
    assert "may not be driven" in officer.locator(".vehicle").inner_text()

    boss = new_page(browser)
    sign_in(boss, site, site.boss)
    boss.wait_for_url("**/lookup")
    boss.get_by_role("link", name="Audit").click()
    boss.get_by_label("Officer").select_option(label="ada")
    boss.get_by_role("button", name="Show").click()
    table = boss.locator("table").inner_text()
    assert "CCR 0581" in table
    assert "investigation" in table
    response = boss.goto(f"{site.url}/supervisor/audit?agency={site.county.agency_id}")
    assert response is not None
    assert response.status == 403
    officer.context.close()
    boss.context.close()


def test_reload_and_back_show_the_answer_without_a_second_lookup(browser: Any, site: Site) -> None:
    page = new_page(browser)
    rex = make_officer(site.app, "rex")
    sign_in(page, site, rex)
    page.wait_for_url("**/lookup")
    look_up(page, "DVL1234")
    answer_url = page.url
    assert "/lookup/answers/" in answer_url
    reference = page.locator(".ref").first.inner_text()

    page.reload()
    assert "FULL IMMUNITY" in level_banner(page)
    assert page.locator(".ref").first.inner_text() == reference
    page.get_by_role("link", name="Lookup", exact=True).click()
    page.wait_for_url("**/lookup")
    page.go_back()
    assert page.url == answer_url
    assert "FULL IMMUNITY" in level_banner(page)
    assert page.locator(".ref").first.inner_text() == reference

    with site.app.app_context():
        lookups = [
            r.reference
            for r in records(AuditFilter(channel="web", actor=f"officer:{rex.officer_id}"))
            if r.action != "login"
        ]
    assert lookups == [reference]
    page.context.close()
