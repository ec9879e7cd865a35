"""State Department ID card status as of today."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lookup.rules.credential import COLOUR_NOTE, credential_on
from tests.factories import make_person

TODAY = date(2026, 3, 15)


@pytest.mark.parametrize(
    ("expiry", "expected"),
    [(TODAY - timedelta(days=1), "expired"), (TODAY, "valid"), (None, "valid")],
)
def test_valid_past_expiry_reads_expired(expiry: date | None, expected: str) -> None:
    card = credential_on(make_person(credential_expiry=expiry), TODAY)
    assert card is not None
    assert card.status == expected
    assert card.recorded_status == "valid"


@pytest.mark.parametrize("status", ["revoked", "lost_or_stolen"])
def test_revoked_or_lost_card_warns_about_the_holder(status: str) -> None:
    card = credential_on(make_person(credential_status=status), TODAY)
    assert card is not None
    assert card.status == status
    assert any("may not be its holder" in n for n in card.notes)


def test_colour_never_decides() -> None:
    card = credential_on(make_person(credential_type="official"), TODAY)
    assert card is not None
    assert card.type_label == "Official (green border)"
    assert COLOUR_NOTE in card.notes


def test_no_card_and_unknown_status() -> None:
    assert credential_on(make_person(credential_number=None), TODAY) is None
    card = credential_on(make_person(credential_status=None), TODAY)
    assert card is not None
    assert card.status == "unknown"
