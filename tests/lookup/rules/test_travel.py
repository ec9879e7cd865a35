"""Travel-control coverage as of today."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lookup.rules.travel import travel_on
from tests.factories import make_person

TODAY = date(2026, 3, 15)


def test_no_control() -> None:
    result = travel_on(make_person(), TODAY)
    assert result.regime == "none"
    assert result.covers_today is None
    assert result.label == "No travel controls"


@pytest.mark.parametrize("regime", ["notify", "approval"])
@pytest.mark.parametrize(
    ("until", "covers"),
    [
        (TODAY - timedelta(days=1), False),
        (TODAY, True),
        (TODAY + timedelta(days=9), True),
        (None, False),
    ],
)
def test_notice_coverage(regime: str, until: date | None, covers: bool) -> None:
    person = make_person(travel_control=regime, travel_zone="nyc", travel_notice_until=until)
    result = travel_on(person, TODAY)
    assert result.regime == regime
    assert result.zone == "nyc"
    assert result.zone_label is not None
    assert "Columbus Circle" in result.zone_label
    assert result.covers_today is covers
    if covers:
        assert "covers today" in result.label
    else:
        needed = "notification" if regime == "notify" else "approval"
        assert f"prior {needed}" in result.label
        assert "Columbus Circle" in result.label


def test_dc_zone_and_missing_zone() -> None:
    dc = travel_on(make_person(travel_control="approval", travel_zone="dc"), TODAY)
    assert dc.zone_label is not None
    assert "White House" in dc.zone_label
    unknown = travel_on(make_person(travel_control="notify"), TODAY)
    assert "not recorded" in unknown.label
