"""Decks reach their stated length, and their diagrams are safe SVG files of the content folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from lookup.rules.immunity import ImmunityMatrix
from outreach.content import SLIDES_PER_HOUR, load_content
from outreach.problems import ContentInvalid
from tests.outreach.conftest import CONTENT_DIR, replace_in


def problems_of(root: Path, matrix: ImmunityMatrix) -> list[str]:
    with pytest.raises(ContentInvalid) as caught:
        load_content(root, matrix)
    return [str(problem) for problem in caught.value.problems]


def test_every_shipped_deck_reaches_its_hours(matrix: ImmunityMatrix) -> None:
    content = load_content(CONTENT_DIR, matrix)
    for deck in content.decks.values():
        assert len(deck.slides) >= deck.meta.hours * SLIDES_PER_HOUR, deck.meta.id
    assert content.diagrams >= {"immunity-levels", "who-may-be-arrested", "plate-anatomy"}


def test_a_deck_too_short_for_its_hours_is_refused(
    content_copy: Path, matrix: ImmunityMatrix
) -> None:
    deck = content_copy / "decks" / "verifying-status.md"
    line = replace_in(deck, "hours: 1.0", "hours: 4")
    slides = len(load_content(CONTENT_DIR, matrix).decks["verifying-status"].slides)
    assert problems_of(content_copy, matrix) == [
        f"decks/verifying-status.md:{line}: hours: 4 hours need at least "
        f"{4 * SLIDES_PER_HOUR} slides ({SLIDES_PER_HOUR} an hour); this deck has {slides}"
    ]


def test_images_must_be_diagrams_of_the_folder_with_a_description(
    content_copy: Path, matrix: ImmunityMatrix
) -> None:
    deck = content_copy / "decks" / "immunity-basics.md"
    outside = replace_in(
        deck, "- Most encounters are ordinary:", "![a plate](https://example.org/p.svg)\n\n- Most"
    )
    no_alt = replace_in(
        deck,
        "![Table of the five actions",
        "![](/outreach/diagrams/immunity-levels.svg)\n\n![Table of the five actions",
    )
    found = problems_of(content_copy, matrix)
    assert found == sorted(
        [
            f"decks/immunity-basics.md:{outside}: image: https://example.org/p.svg: an image must "
            "be one of /outreach/diagrams/NAME.svg (diagrams/)",
            f"decks/immunity-basics.md:{no_alt}: image: say what the diagram shows: "
            "![what it shows](...)",
        ]
    )


@pytest.mark.parametrize(
    "planted",
    [
        "<script>alert(1)</script>",
        '<rect onload="alert(1)"/>',
        '<image href="https://example.org/x.png"/>',
    ],
)
def test_a_diagram_with_script_or_outside_address_is_refused(
    content_copy: Path, matrix: ImmunityMatrix, planted: str
) -> None:
    svg = content_copy / "diagrams" / "plate-anatomy.svg"
    line = replace_in(svg, '<rect width="1600"', f'{planted}\n<rect width="1600"')
    found = problems_of(content_copy, matrix)
    assert len(found) == 1
    assert found[0].startswith(f"diagrams/plate-anatomy.svg:{line}: svg: ")


def test_diagrams_are_served_as_svg_and_unknown_ones_are_404(client: FlaskClient) -> None:
    response = client.get("/outreach/diagrams/plate-anatomy.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert b"<title" in response.data
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert client.get("/outreach/diagrams/nothing.svg").status_code == 404
    assert client.get("/outreach/diagrams/..%2Fquiz.yaml.svg").status_code == 404


def test_presenter_view_has_the_notes_and_the_projected_view_does_not(
    client: FlaskClient,
) -> None:
    projected = client.get("/outreach/decks/immunity-basics").get_data(as_text=True)
    presenter = client.get("/outreach/decks/immunity-basics/presenter").get_data(as_text=True)
    assert "Ask the room who has stopped" not in projected
    assert "Ask the room who has stopped" in presenter
    assert 'class="site' not in projected
    assert 'data-role="projector"' in projected
    assert 'data-role="presenter"' in presenter
