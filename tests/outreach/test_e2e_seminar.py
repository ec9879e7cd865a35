"""A seminar in a real browser: Debian's Chromium driven by Playwright against the app served on a
loopback port. A trainer opens a session, two attendees join by code on their own "phones"
(browser contexts), answer the quiz, and the trainer sees the scores and exports the roster.
Skipped when Chromium is missing, except with CI=true, where that is a failure."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lookup import create_app
from lookup.extensions import search_backend
from outreach.library import current_content
from tests.browser import axe_violations, served, without_dipcheck_environment
from tests.factories import small_dataset

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 800}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[tuple[str, Any]]:
    with without_dipcheck_environment():
        app = create_app(
            data_dir=tmp_path_factory.mktemp("outreach-e2e"), TESTING=True, RATELIMIT_ENABLED=False
        )
        with app.app_context():
            search_backend().publish(small_dataset())
        try:
            with served(app) as url:
                yield url, app
        finally:
            with app.app_context():
                search_backend().close()


def test_trainer_runs_a_session_two_attendees_answer_roster_is_exported(
    browser: Any, site: tuple[str, Any]
) -> None:
    url, app = site
    created = app.test_cli_runner().invoke(
        args=["outreach", "trainer", "create", "tess", "--name", "Tess Trainer"]
    )
    assert created.exit_code == 0, created.output
    password = created.output.rsplit(": ", 1)[1].strip()
    with app.test_request_context():
        questions = current_content().questions_for("traffic-crashes-impaired")

    trainer_context = browser.new_context(accept_downloads=True)
    trainer = trainer_context.new_page()
    trainer.goto(f"{url}/outreach/trainer/")
    trainer.fill("#username", "tess")
    trainer.fill("#password", password)
    trainer.click("button[type=submit]")
    trainer.select_option("#seminar", "traffic-crashes-impaired")
    trainer.fill("#hours", "1.5")
    trainer.fill("#location", "Academy, room 4")
    trainer.click("#new-session button[type=submit]")
    code = trainer.inner_text("#join-code").strip()
    assert len(code) == 6
    assert trainer.locator(".qr svg").count() == 1

    attendees = [("Dana Reyes", "4411", "all"), ("Sam Ortiz", "5522", "half")]
    phones = []
    for name, badge, _ in attendees:
        context = browser.new_context(viewport=PHONE)
        phone = context.new_page()
        phone.goto(f"{url}/outreach/join")
        phone.fill("#code", code.lower())
        phone.fill("#name", name)
        phone.fill("#agency", "Metro Police")
        phone.fill("#badge", badge)
        phone.click("#join-form button[type=submit]")
        assert phone.locator("#waiting").count() == 1
        phones.append((context, phone))

    trainer.click("#start-quiz")
    assert trainer.inner_text("#session-status") == "quiz"

    for (_, phone), (_, _, mode) in zip(phones, attendees, strict=True):
        phone.reload()
        for index, question in enumerate(questions):
            wanted = question.answer
            if mode == "half" and index % 2 == 1:
                wanted = next(c for c in question.choices if c != question.answer)
            phone.locator(
                f'fieldset[data-question="{question.id}"] input[value="{wanted}"]'
            ).check()
        phone.click("#submit-answers")
        assert phone.locator("#score").count() == 1

    expected_half = len(questions) - len(questions) // 2
    trainer.click("#refresh")
    assert trainer.inner_text('tr[data-attendee="4411"] .score') == (
        f"{len(questions)} / {len(questions)}"
    )
    assert trainer.inner_text('tr[data-attendee="5522"] .score') == (
        f"{expected_half} / {len(questions)}"
    )
    second = questions[1].id
    assert trainer.inner_text(f'tr[data-question="{second}"] .percent').startswith("50%")

    with trainer.expect_download() as downloaded:
        trainer.click("#export-roster")
    text = Path(downloaded.value.path()).read_text(encoding="utf-8")
    rows = {row["badge"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows["4411"]["attendee_name"] == "Dana Reyes"
    assert rows["4411"]["quiz_score"] == str(len(questions))
    assert rows["5522"]["quiz_score"] == str(expected_half)
    assert rows["5522"]["hours"] == "1.5"

    for context, _ in phones:
        context.close()
    trainer_context.close()


def test_deck_slides_move_with_the_keyboard(browser: Any, site: tuple[str, Any]) -> None:
    url, _ = site
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/outreach/decks/immunity-basics")
    assert page.locator(".slide.current").get_attribute("data-index") == "1"
    assert page.locator(".slide:visible").count() == 1
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.locator(".slide.current").get_attribute("data-index") == "3"
    assert page.url.endswith("#slide-3")
    page.keyboard.press("ArrowLeft")
    assert page.locator(".slide.current").get_attribute("data-index") == "2"
    page.keyboard.press("End")
    last = page.locator(".slide").count()
    assert page.locator(".slide.current").get_attribute("data-index") == str(last)
    assert page.locator(".notes").count() == 0  # notes live on the presenter view only
    context.close()


def test_a_deck_prints_one_slide_per_page(browser: Any, site: tuple[str, Any]) -> None:
    url, app = site
    with app.test_request_context():
        slides = len(current_content().decks["verifying-status"].slides)
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/outreach/decks/verifying-status")
    pdf = page.pdf(format="A4", landscape=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == slides
    context.close()


@pytest.mark.usefixtures("axe_available")
def test_outreach_pages_have_no_serious_accessibility_violations(
    browser: Any, site: tuple[str, Any]
) -> None:
    url, _ = site
    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # only to inject axe-core
    page = context.new_page()
    for path in (
        "/outreach/",
        "/outreach/matrix",
        "/outreach/decks/verifying-status",
        "/outreach/handouts/crashes-and-insurance",
        "/outreach/pocket-card",
        "/outreach/scenarios/consul-impaired",
        "/outreach/join",
        "/outreach/request",
    ):
        page.goto(f"{url}{path}")
        assert axe_violations(page) == [], path
    page.goto(f"{url}/outreach/training/scenarios/spouse-in-d-car")
    page.click("#training-search button[type=submit]")
    assert page.locator("[data-training=true]").count() == 1
    assert axe_violations(page) == [], "training answer"
    context.close()
