"""Which card an answer opens on: the web, QR, training and SMS channels all ask choose_view."""

from __future__ import annotations

from typing import Any

import pytest

from lookup.screens.cards import choose_view


def plate(match: str, plate: str = "DVL1234") -> dict[str, Any]:
    return {"match": match, "vehicle": {"plate": plate}}


def person(person_id: str, match: str | None = None) -> dict[str, Any]:
    return {"person_id": person_id} | ({"match": match} if match else {})


EXACT, LOOK_ALIKE, OTHER = plate("exact"), plate("confusable", "DVL1Z34"), plate("partial", "X")
FIRST, SECOND = person("P-1"), person("P-2")
CARD_LOOK_ALIKE, LICENCE = person("P-9", "confusable"), person("P-9", "exact")


@pytest.mark.parametrize(
    ("kind", "matches", "pick", "view", "opened", "similar"),
    [
        ("plate", [], "", "no_match", [], []),
        ("plate", [LOOK_ALIKE, EXACT], "", "plate", [EXACT], [LOOK_ALIKE]),
        ("plate", [LOOK_ALIKE], "", "plate_candidates", [LOOK_ALIKE], []),
        ("plate", [LOOK_ALIKE, OTHER], "", "plate_candidates", [LOOK_ALIKE, OTHER], []),
        ("plate_pattern", [EXACT], "", "plate_candidates", [EXACT], []),
        ("credential", [FIRST], "", "person", [FIRST], []),
        ("credential", [CARD_LOOK_ALIKE], "", "number_candidates", [CARD_LOOK_ALIKE], []),
        ("license", [LICENCE, SECOND], "", "license", [LICENCE], [SECOND]),
        ("person", [FIRST, SECOND], "", "person_candidates", [FIRST, SECOND], []),
        ("person", [FIRST, SECOND], "P-2", "person", [SECOND], []),
        ("person", [FIRST], "", "person", [FIRST], []),
    ],
)
def test_the_card_each_answer_opens_on(
    kind: str,
    matches: list[dict[str, Any]],
    pick: str,
    view: str,
    opened: list[dict[str, Any]] | None,
    similar: list[dict[str, Any]] | None,
) -> None:
    card = choose_view(kind, matches, pick)
    assert card.view == view
    assert card.matches == (
        opened if opened is not None else matches[:1] if view in ("license",) else matches
    )
    if similar is not None:
        assert card.similar == similar


def test_a_channel_that_cannot_ask_back_opens_one_card() -> None:
    """SMS: a name search answers with its best match, a lone look-alike plate as that plate;
    several look-alikes are still listed, never answered as if one were the plate typed."""
    sms = {"lists_people": False, "opens_lone_plate": True}
    assert choose_view("person", [FIRST, SECOND], **sms).matches == [FIRST]
    assert choose_view("plate", [LOOK_ALIKE], **sms).view == "plate"
    assert choose_view("plate", [LOOK_ALIKE, OTHER], **sms).view == "plate_candidates"
    assert choose_view("credential", [CARD_LOOK_ALIKE], **sms).view == "number_candidates"
