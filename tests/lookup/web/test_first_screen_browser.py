"""The first screen of every answer, in Debian's Chromium at a phone's 360 x 740: without scrolling,
the officer sees the verdict (the immunity banner with the five actions in words, or UNVERIFIED),
the 24/7 call button and the reference. Asserted by the elements' bounding boxes, for plate
answers of every level, a mission's car, several linked persons, ID card, licence, name, the QR
full record and training mode; axe-core stays clean on each.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from lookup import create_app
from lookup.config import current_settings
from lookup.extensions import search_backend
from lookup.qr.documents import issue
from lookup.qr.key_ring import keystore
from search_index.records import Dataset
from tests.browser import ROOT, axe_violations, served, without_dipcheck_environment
from tests.factories import (
    DIPLOMAT_CREDENTIAL,
    DIPLOMAT_LICENSE,
    DIPLOMAT_PLATE,
    SPOUSE_ID,
    make_vehicle,
)
from tests.lookup.web.conftest import (
    GENEROUS_LIMITS,
    OFFICIAL_ACTS_CREDENTIAL,
    OFFICIAL_ACTS_PLATE,
    Clock,
    OfficerLogin,
    make_officer,
    totp_code,
    web_dataset,
)

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("axe_available")]

VIEWPORT = {"width": 360, "height": 740}
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# Registered to the spouse, a U.S. national: no immunity.
NO_IMMUNITY_PLATE = "DNL5678"
UNVERIFIED_PLATE = "DVLIZ34"  # registered to a member whose accreditation is pending
MISSION_PLATE = "CCR0581"


def first_screen_dataset() -> Dataset:
    base = web_dataset()
    spouse_car = make_vehicle(plate=NO_IMMUNITY_PLATE, owner_person_id=SPOUSE_ID, vin=None)
    return replace(base, vehicles=(*base.vehicles, spouse_car))


@dataclass(frozen=True)
class Site:
    url: str
    clock: Clock
    ada: OfficerLogin
    qr: dict[str, str]  # kind -> token


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Site]:
    clock = Clock()
    with without_dipcheck_environment():
        app = create_app(
            data_dir=tmp_path_factory.mktemp("first-screen"),
            TESTING=True,
            CLOCK=clock,
            QR_RATELIMIT="10000/minute",
            **GENEROUS_LIMITS,
        )
        with app.app_context():
            search_backend().publish(first_screen_dataset())
            keystore().create()
            key = keystore().signer()
            zone = current_settings().zone()
            with search_backend().snapshot() as snapshot:
                qr = {
                    "credential": issue(
                        snapshot, "credential", DIPLOMAT_CREDENTIAL, key, zone=zone
                    ).token,
                    "vehicle": issue(snapshot, "vehicle", DIPLOMAT_PLATE, key, zone=zone).token,
                }
        try:
            with served(app) as url:
                yield Site(url, clock, make_officer(app, "ada"), qr)
        finally:
            with app.app_context():
                search_backend().close()


@pytest.fixture(scope="module")
def page(browser: Any, site: Site) -> Iterator[Any]:
    """One signed-in officer for the module (CSP bypassed only so axe-core can be injected)."""
    context = browser.new_context(
        viewport=VIEWPORT, device_scale_factor=2, is_mobile=True, has_touch=True, bypass_csp=True
    )
    opened = context.new_page()
    opened.goto(f"{site.url}/login")
    opened.get_by_label("I have read the notice above and accept it.").check()
    opened.get_by_label("Username").fill(site.ada.username)
    opened.get_by_label("Password").fill(site.ada.password)
    site.clock.advance(seconds=30)
    opened.get_by_label("Code from your authenticator app").fill(
        totp_code(site.ada.totp_secret, site.clock())
    )
    opened.get_by_role("button", name="Sign in").click()
    opened.wait_for_url("**/lookup")
    yield opened
    context.close()


def look_up(page: Any, text: str) -> None:
    form = page.locator("#search")
    form.get_by_label("Plate, ID card number, licence number or name").fill(text)
    form.get_by_label("Reason").select_option(label="Traffic stop")
    # Wait for the answer page itself, not just the click, before measuring anything on it.
    with page.expect_navigation():
        form.get_by_role("button", name="Check").click()


def inside_first_screen(page: Any, selector: str) -> bool:
    """Whether the first element matching `selector` lies wholly inside the unscrolled viewport."""
    assert page.evaluate("() => window.scrollY") == 0
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return bool(
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= VIEWPORT["width"]
        and box["y"] + box["height"] <= VIEWPORT["height"]
    )


def assert_first_screen(page: Any, name: str, headline: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"first-screen-{name}.png"))
    banner = page.locator(".answer-verdict .level").first
    assert headline in banner.inner_text(), name
    for selector in (".answer-verdict .level", "a.call", ".ref"):
        assert inside_first_screen(page, selector), f"{name}: {selector} below the first screen"
    if headline not in ("MISSION VEHICLE", "NO RECORD FOUND"):
        # The five actions in words sit under the banner, also on the first screen.
        assert page.locator(".answer-verdict").first.locator("ul.shorts li").count() == 5, name
        assert inside_first_screen(page, ".answer-verdict ul.shorts"), name
    assert page.evaluate("() => document.documentElement.scrollWidth") <= VIEWPORT["width"], name
    assert axe_violations(page) == [], name


@pytest.mark.parametrize(
    ("name", "typed", "headline"),
    [
        ("plate-full-several-persons", DIPLOMAT_PLATE, "FULL IMMUNITY"),
        ("plate-official-acts", OFFICIAL_ACTS_PLATE, "OFFICIAL-ACTS IMMUNITY ONLY"),
        ("plate-none", NO_IMMUNITY_PLATE, "NO IMMUNITY"),
        ("plate-unverified", UNVERIFIED_PLATE, "UNVERIFIED"),
        ("plate-mission", MISSION_PLATE, "MISSION VEHICLE"),
        ("id-card", OFFICIAL_ACTS_CREDENTIAL, "OFFICIAL-ACTS IMMUNITY ONLY"),
        ("licence", DIPLOMAT_LICENSE, "FULL IMMUNITY"),
        ("name", "Quell", "UNVERIFIED"),
        ("no-record", "DA999999", "NO RECORD FOUND"),
    ],
)
def test_web_answer_opens_on_the_verdict_call_and_reference(
    page: Any, site: Site, name: str, typed: str, headline: str
) -> None:
    page.goto(f"{site.url}/lookup")
    look_up(page, typed)
    assert_first_screen(page, name, headline)


def test_plate_answer_keeps_the_officers_order(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/lookup")
    look_up(page, DIPLOMAT_PLATE)
    order = page.evaluate(
        """() => ['.answer-verdict', 'a.call', '.ref', '.others', '.vehicle'].map(
            (s) => document.querySelector(s).getBoundingClientRect().top)"""
    )
    assert order == sorted(order)
    # Each other linked person is one line until opened.
    lines = page.locator(".others details.linked summary")
    assert lines.count() == 2
    assert all(box["height"] < 56 for box in (lines.nth(i).bounding_box() for i in range(2)))


@pytest.mark.parametrize(("kind", "headline"), [("credential", "FULL"), ("vehicle", "FULL")])
def test_qr_full_record_opens_on_the_verdict(
    page: Any, site: Site, kind: str, headline: str
) -> None:
    page.goto(f"{site.url}/v/{site.qr[kind]}?reason=traffic_stop")
    assert_first_screen(page, f"qr-{kind}", headline)


def test_training_answer_opens_on_the_verdict(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/outreach/training/scenarios/spouse-in-d-car")
    page.click("#training-search button[type=submit]")
    page.wait_for_selector(".answer-card")
    assert inside_first_screen(page, ".answer-verdict .level")
    assert inside_first_screen(page, "a.call")
    assert inside_first_screen(page, ".ref")
    assert axe_violations(page) == []


def test_sign_in_button_is_on_the_first_screen(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.goto(f"{site.url}/login")
    assert inside_first_screen(page, "button[type=submit]")
    assert inside_first_screen(page, "#banner-title")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "first-screen-sign-in.png"))
    context.close()


def test_an_answer_prints_on_one_page_with_reference_and_data_age(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/lookup")
    look_up(page, DIPLOMAT_PLATE)  # the longest answer: registrant, two linked persons, vehicle
    reference = page.locator(".ref").first.inner_text()
    page.emulate_media(media="print")
    try:
        assert page.locator("#search").is_hidden()
        meta = page.locator(".answer-card .meta").first
        assert meta.is_visible()
        assert reference in meta.inner_text()
        assert "data " in meta.inner_text()
        pdf = page.pdf(format="Letter", print_background=True)
    finally:
        page.emulate_media(media="screen")
    (SCREENSHOTS / "answer-print.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == 1


def test_details_look_openable(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/lookup")
    summary = page.locator("#search details summary")
    marker = page.evaluate(
        "(s) => getComputedStyle(s, '::before').content", summary.element_handle()
    )
    assert "▸" in marker
    summary.click()
    opened = page.evaluate(
        "(s) => getComputedStyle(s, '::before').content", summary.element_handle()
    )
    assert "▾" in opened
    assert page.get_by_label("Date of birth").is_visible()
