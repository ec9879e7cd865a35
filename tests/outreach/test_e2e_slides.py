"""Slides in a real browser (Debian's Chromium via Playwright): the projected view fills 16:9 and
4:3 projectors with nothing but the slide, every slide's text fits, and the presenter view (notes,
next slide, time) stays on the same slide as the projected window, both ways."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lookup import create_app
from lookup.extensions import search_backend
from outreach.library import current_content
from tests.browser import served, without_dipcheck_environment
from tests.factories import small_dataset

pytestmark = pytest.mark.e2e

PROJECTORS = [(1920, 1080), (1280, 720), (1024, 768)]
# Where the screenshots go: a folder kept for people to look at when set, else the test's tmp.
SCREENSHOTS_ENV = "OUTREACH_SCREENSHOTS_DIR"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    with without_dipcheck_environment():
        app = create_app(
            data_dir=tmp_path_factory.mktemp("slides-e2e"), TESTING=True, RATELIMIT_ENABLED=False
        )
        with app.app_context():
            search_backend().publish(small_dataset())
        with app.test_request_context():
            counts = {key: len(deck.slides) for key, deck in current_content().decks.items()}
        try:
            with served(app) as url:
                yield url, counts
        finally:
            with app.app_context():
                search_backend().close()


def _overflowing(page: Any) -> bool:
    return bool(
        page.evaluate(
            "() => { const s = document.querySelector('.slide.current');"
            " return s.scrollHeight > s.clientHeight + 1 || s.scrollWidth > s.clientWidth + 1; }"
        )
    )


@pytest.mark.parametrize(("width", "height"), PROJECTORS)
def test_the_projected_slide_fills_the_screen_and_every_slide_fits(
    browser: Any, site: tuple[str, dict[str, int]], tmp_path: Path, width: int, height: int
) -> None:
    url, counts = site
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    for deck, count in counts.items():
        page.goto(f"{url}/outreach/decks/{deck}")
        assert page.locator("header.site, .deck-bar:visible, .notes").count() == 0
        slide = page.locator(".slide.current")
        box = slide.bounding_box()
        assert box == {"x": 0, "y": 0, "width": width, "height": height}, (deck, box)
        body_px = float(slide.evaluate("s => parseFloat(getComputedStyle(s).fontSize)"))
        # Type follows the screen: about 1/23 of the height on a wide screen, 1/38 of the width on
        # a 4:3 one (24 px or more on a 1024x768 projector, before a long slide shrinks).
        assert body_px >= min(width * 0.026, height * 0.044) * 0.6 - 0.5, (deck, body_px)
        page.screenshot(path=str(folder / f"{deck}-1-{width}x{height}.png"))
        for index in range(1, count + 1):
            assert page.locator(".slide.current").get_attribute("data-index") == str(index)
            assert not _overflowing(page), f"{deck} slide {index} overflows at {width}x{height}"
            if page.locator(".slide.current img").count():
                page.screenshot(path=str(folder / f"{deck}-{index}-{width}x{height}.png"))
            page.keyboard.press("ArrowRight")
        assert (folder / f"{deck}-1-{width}x{height}.png").stat().st_size > 5000
    page.keyboard.press("n")  # "N" no longer shows anything to the room
    assert page.locator(".notes:visible").count() == 0
    context.close()


@pytest.mark.parametrize("channel", ["BroadcastChannel", "localStorage"])
def test_presenter_and_projected_windows_stay_on_the_same_slide(
    browser: Any, site: tuple[str, dict[str, int]], channel: str
) -> None:
    url, _ = site
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    if channel == "localStorage":  # a browser without BroadcastChannel: the storage-event path
        context.add_init_script("delete window.BroadcastChannel;")
    presenter = context.new_page()
    presenter.goto(f"{url}/outreach/decks/immunity-basics/presenter")
    available = presenter.evaluate("() => typeof BroadcastChannel === 'function'")
    assert available is (channel == "BroadcastChannel")
    assert presenter.locator(".presenter-slide.current .notes").count() == 1
    assert "Ask the room" in presenter.inner_text(".presenter-slide.current .notes")
    upcoming = presenter.inner_text(".presenter-slide.current .up-next .next-title")
    assert upcoming == "Who we are talking about"
    assert "2,600 foreign missions" in presenter.inner_text(".presenter-slide.current .up-next")
    with presenter.expect_popup() as opened:
        presenter.click("#open-projector")
    projector = opened.value
    projector.wait_for_selector(".slide.current")

    def on(page: Any, index: int) -> None:
        page.wait_for_selector(f"body[data-slide='{index}']", state="attached", timeout=10_000)

    for _ in range(3):
        presenter.keyboard.press("ArrowRight")
    on(presenter, 4)
    on(projector, 4)
    projector.click(".slide-controls .next")  # the touch control on the projected screen
    on(projector, 5)
    on(presenter, 5)
    presenter.click("button[data-move='-1']")
    on(projector, 4)
    # A projected window opened late (a projector swapped mid-seminar) joins at the same slide.
    late = context.new_page()
    late.goto(f"{url}/outreach/decks/immunity-basics")
    on(late, 4)
    assert late.locator(".notes").count() == 0
    elapsed = presenter.inner_text("#elapsed")
    assert ":" in elapsed
    context.close()


def test_touch_controls_are_large_enough_to_hit(
    browser: Any, site: tuple[str, dict[str, int]]
) -> None:
    url, _ = site
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
    page = context.new_page()
    page.goto(f"{url}/outreach/decks/verifying-status")
    button = page.locator(".slide-controls .next")
    box = button.bounding_box()
    assert box is not None
    assert min(box["width"], box["height"]) >= 44
    button.tap()
    assert page.locator(".slide.current").get_attribute("data-index") == "2"
    page.locator(".slide-controls .prev").tap()
    assert page.locator(".slide.current").get_attribute("data-index") == "1"
    context.close()
