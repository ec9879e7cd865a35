"""Attendees and officers read the officer's words: the content check refuses backticks and API
codes in every text they see, naming file, line and field, and the rendered pages show none."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from lookup.rules.immunity import ImmunityMatrix
from outreach.content import load_content
from outreach.plain_language import plain_words, problems_in
from outreach.problems import ContentInvalid
from tests.outreach.conftest import CONTENT_DIR, replace_in


def problems_of(root: Path, matrix: ImmunityMatrix) -> list[str]:
    with pytest.raises(ContentInvalid) as caught:
        load_content(root, matrix)
    return [str(problem) for problem in caught.value.problems]


def test_a_backticked_code_in_a_quiz_explanation_is_refused(
    content_copy: Path, matrix: ImmunityMatrix
) -> None:
    line = replace_in(
        content_copy / "quiz.yaml",
        "explanation: Family members of service staff have no immunity at all.",
        "explanation: The family rule for service staff is `none`.",
    )
    assert problems_of(content_copy, matrix) == [
        f"quiz.yaml:{line}: explanation: no backticks: they show computer code; "
        "write it in plain words"
    ]


def test_a_raw_code_in_a_handout_names_the_line_and_the_words_to_use(
    content_copy: Path, matrix: ImmunityMatrix
) -> None:
    line = replace_in(
        content_copy / "handouts" / "roadside-checklist.md",
        "- Write the citation; the driver cannot be made to sign it.",
        "- A consul is felony_warrant_only: write the citation.",
    )
    wording = matrix.action_text("arrest_or_detain", "felony_warrant_only")
    assert problems_of(content_copy, matrix) == [
        f"handouts/roadside-checklist.md:{line}: body: 'felony_warrant_only' is an API code; "
        f"write it in the officer's words (the rules file says: {wording!r})"
    ]


def test_slides_notes_scenario_steps_and_the_pocket_card_are_checked(
    content_copy: Path, matrix: ImmunityMatrix
) -> None:
    deck = content_copy / "decks" / "immunity-basics.md"
    slide_line = replace_in(
        deck,
        "- Most encounters are ordinary:",
        "- Check enter_residence first. Most encounters are ordinary:",
    )
    notes_line = replace_in(deck, "Ask the room who has stopped", "Ask `who` has stopped")
    step_line = replace_in(
        content_copy / "scenarios.yaml",
        "- Look up the card number and confirm the name and photo match.",
        "- Look up the card number; expect lost_or_stolen.",
    )
    card_line = replace_in(
        content_copy / "pocket_card.yaml",
        "- Never let an impaired driver drive on.",
        "- Never let an impaired driver drive on (`yes`).",
    )
    found = problems_of(content_copy, matrix)
    code = "'enter_residence' is an API code; write it in the officer's words"
    assert (
        f"decks/immunity-basics.md:{slide_line}: slide: {code} (the rules file says: "
        in "".join(found)
    )
    backticks = "no backticks: they show computer code; write it in plain words"
    assert f"decks/immunity-basics.md:{notes_line}: notes: {backticks}" in found
    assert any(p.startswith(f"scenarios.yaml:{step_line}: steps: 'lost_or_stolen'") for p in found)
    assert any(p.startswith(f"pocket_card.yaml:{card_line}: items: no backticks") for p in found)
    assert len(found) == 4


@pytest.mark.parametrize(
    "text",
    [
        "Call %VERIFY_PHONE% now.",
        "See [the checklist](/outreach/handouts/roadside-checklist).",
        "Full immunity: no, no, no, no; the answer says none of them.",
        "Write to https://example.org/a_b or quote DC-7K3MQ-9XA4T.",
    ],
)
def test_plain_text_placeholders_and_links_pass(text: str, matrix: ImmunityMatrix) -> None:
    assert list(problems_in(text, plain_words(matrix))) == []


class _Visible(HTMLParser):
    """The text a reader sees (not attributes, scripts or styles) and any <code> element."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.code_elements = 0
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "code":
            self.code_elements += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def test_rendered_pages_show_no_codes(client: FlaskClient, matrix: ImmunityMatrix) -> None:
    content = load_content(CONTENT_DIR, matrix)
    paths = ["/outreach/matrix", "/outreach/pocket-card"]
    paths += [f"/outreach/decks/{key}" for key in content.decks]
    paths += [f"/outreach/handouts/{key}" for key in content.handouts]
    paths += [f"/outreach/scenarios/{key}" for key in content.scenarios]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        page = _Visible()
        page.feed(response.get_data(as_text=True))
        visible = " ".join(page.text)
        assert page.code_elements == 0, path
        assert "`" not in visible, path
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", visible), (
            path,
            re.findall(r"\b[a-z]+_[a-z_]+\b", visible),
        )
