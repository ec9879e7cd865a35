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
from lookup.qr.key_ring import keystore
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
            keystore().create()
        try:
            with served(app) as url:
                yield url, app
        finally:
            with app.app_context():
                search_backend().close()


PHONES = 4  # attendees in a real browser page each
HTTP_ATTENDEES = 16  # the rest of a class of 20, as plain HTTP clients (fast)


def _no_answer_marker(html: str, answers: list[str]) -> None:
    """The projected page must not give away an answer, whatever the session's state."""
    assert "✔" not in html
    assert "correct" not in html.lower()
    assert "data-question" not in html
    for answer in answers:
        assert answer not in html, answer


def _wait_for_text(page: Any, selector: str, text: str, timeout: float = 20_000) -> None:
    exact = re.compile(rf"^\s*{re.escape(text)}\s*$")
    page.locator(selector).filter(has_text=exact).wait_for(timeout=timeout)


def _http_attendee(browser: Any, url: str, code: str, number: int) -> tuple[Any, str]:
    """An attendee who joins and answers with plain HTTP requests (cookies kept per client)."""
    context = browser.new_context()
    page = context.request.get(f"{url}/outreach/join/{code}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text())
    assert token
    joined = context.request.post(
        f"{url}/outreach/join",
        form={
            "code": code,
            "name": f"Officer {number}",
            "agency": "County Sheriff",
            "badge": f"H{number:03d}",
            "csrf_token": token.group(1),
        },
    )
    assert joined.ok, joined.status
    return context, token.group(1)


def test_a_whole_seminar_of_twenty_follows_the_trainer_without_reloads(
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
    answers = [q.answer for q in questions]

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
    assert trainer.locator(".qr svg").count() == 0  # the QR is on the projection page only
    with trainer.expect_popup() as opened:
        trainer.click("#open-projection")
    projection = opened.value
    projection.wait_for_selector("#joined")
    assert projection.locator(".qr svg").count() == 1
    assert projection.locator("header.site").count() == 0
    _no_answer_marker(projection.content(), answers)

    phones = []
    for number in range(PHONES):
        context = browser.new_context(viewport=PHONE, has_touch=True)
        phone = context.new_page()
        if number == 0:  # a virtual attendee: the link pasted into the video call's chat
            phone.goto(f"{url}/outreach/join/{code}")
            assert phone.input_value("#code") == code
        else:
            phone.goto(f"{url}/outreach/join")
            phone.fill("#code", code.lower())
        phone.fill("#name", f"Phone Officer {number}")
        phone.fill("#agency", "Metro Police")
        phone.fill("#badge", f"P{number}")
        phone.click("#join-form button[type=submit]")
        phone.wait_for_selector("#waiting")
        phone.evaluate("() => { window.stayed = true; }")
        phones.append((context, phone))
    http = [_http_attendee(browser, url, code, n) for n in range(HTTP_ATTENDEES)]

    _wait_for_text(projection, "#joined", str(PHONES + HTTP_ATTENDEES))
    trainer.click("#start-quiz")
    assert trainer.inner_text("#session-status") == "quiz"
    session_id = _session_id(trainer)

    for _, phone in phones:  # the quiz appears on every phone by itself
        phone.wait_for_selector("#quiz", timeout=20_000)
        assert phone.evaluate("() => window.stayed === true"), "the page was reloaded"
        label = phone.locator("#quiz label").first.bounding_box()
        assert label is not None
        assert label["height"] >= 44  # a thumb hits it
    _wait_for_text(projection, "#answered", "0")
    _no_answer_marker(projection.content(), answers)

    for number, (_, phone) in enumerate(phones):
        for index, question in enumerate(questions):
            wanted = question.answer
            if number % 2 and index % 2:
                wanted = next(c for c in question.choices if c != question.answer)
            phone.locator(
                f'fieldset[data-question="{question.id}"] input[value="{wanted}"]'
            ).check()
        phone.click("#submit-answers")
        assert phone.locator("#answers-in").count() == 1
        phone.evaluate("() => { window.stayed = true; }")
    for context, token in http:
        form = {f"q-{q.id}": q.answer for q in questions} | {"csrf_token": token}
        response = context.request.post(f"{url}/outreach/attend/{session_id}/answers", form=form)
        assert response.ok, response.status

    _wait_for_text(projection, "#answered", str(PHONES + HTTP_ATTENDEES))
    _no_answer_marker(projection.content(), answers)
    trainer.click("#refresh")
    full = f"{len(questions)} / {len(questions)}"
    expected_half = len(questions) - len(questions) // 2
    assert trainer.inner_text('tr[data-attendee="P0"] .score') == full
    assert (
        trainer.inner_text('tr[data-attendee="P1"] .score') == f"{expected_half} / {len(questions)}"
    )
    assert trainer.inner_text('tr[data-attendee="H007"] .score') == full
    assert trainer.locator("#analysis strong").count() == len(questions)  # the key, here only

    trainer.click("#close-session")
    for number, (_, phone) in enumerate(phones):  # results appear without a reload
        phone.wait_for_selector("#score", timeout=20_000)
        assert phone.evaluate("() => window.stayed === true"), "the page was reloaded"
        want = full if number % 2 == 0 else f"{expected_half} / {len(questions)}"
        assert phone.inner_text("#score") == want
    projection.wait_for_selector("[data-live][data-state=closed]", timeout=20_000)
    _no_answer_marker(projection.content(), answers)

    with trainer.expect_download() as downloaded:
        trainer.click("#export-roster")
    text = Path(downloaded.value.path()).read_text(encoding="utf-8")
    rows = {row["badge"]: row for row in csv.DictReader(io.StringIO(text))}
    assert len(rows) == PHONES + HTTP_ATTENDEES
    assert rows["P0"]["quiz_score"] == str(len(questions))
    assert rows["P1"]["quiz_score"] == str(expected_half)
    assert rows["H000"]["hours"] == "1.5"

    for context, _ in phones:
        context.close()
    for context, _ in http:
        context.close()
    trainer_context.close()


def _session_id(trainer: Any) -> str:
    match = re.search(r"/trainer/sessions/([^/?#]+)", trainer.url)
    assert match
    return match.group(1)


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
        "/outreach/decks/verifying-status/presenter",
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


@pytest.mark.parametrize("paper", ["Letter", "A4"])
def test_each_certificate_fills_one_landscape_page(
    browser: Any, site: tuple[str, Any], paper: str
) -> None:
    url, app = site
    username = f"cara{paper.lower()}"
    created = app.test_cli_runner().invoke(
        args=["outreach", "trainer", "create", username, "--name", "Cara Trainer"]
    )
    assert created.exit_code == 0, created.output
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/outreach/trainer/")
    page.fill("#username", username)
    page.fill("#password", created.output.rsplit(": ", 1)[1].strip())
    page.click("button[type=submit]")
    page.fill("#location", "Academy, room 4")
    page.click("#new-session button[type=submit]")
    code = page.inner_text("#join-code").strip()
    attendees = [_http_attendee(browser, url, code, n) for n in range(3)]
    page.goto(page.url + "/certificates")
    assert page.locator(".certificate").count() == 3
    assert page.locator(".certificate-qr").count() == 3
    assert page.locator("#certificate-problem").count() == 0
    pdf = page.pdf(format=paper, landscape=True, prefer_css_page_size=False)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 3
    page.emulate_media(media="print")
    box = page.locator(".certificate").first.bounding_box()
    assert box is not None
    assert box["width"] > box["height"]  # landscape
    for other, _ in attendees:
        other.close()
    context.close()
