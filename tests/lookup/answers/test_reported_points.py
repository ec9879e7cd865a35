"""The 24-month window of points from reports."""

from __future__ import annotations

from datetime import date

from lookup.answers.reported_points import window_start


def test_window_starts_on_the_same_day_two_years_before() -> None:
    assert window_start(date(2026, 12, 5)) == date(2024, 12, 5)
    assert window_start(date(2028, 2, 29)) == date(2026, 2, 28)
