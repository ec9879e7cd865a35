"""Points from assessed incident reports add to the imported figure; the alerts use the sum."""

from __future__ import annotations

from datetime import date

from lookup.rules.licence import PointsThresholds, licence_on
from tests.factories import make_license

TODAY = date(2026, 3, 15)


def test_alerts_use_imported_plus_reported_points() -> None:
    result = licence_on(make_license(points=3), TODAY, PointsThresholds(), 5)
    assert (result.points, result.points_from_reports, result.points_alert) == (8, 5, "review")
    assert any("5 of the points come from incident reports" in note for note in result.notes)
    assert licence_on(make_license(points=3), TODAY, PointsThresholds(), 9).points_alert == (
        "suspension"
    )
    plain = licence_on(make_license(points=3), TODAY, PointsThresholds())
    assert (plain.points, plain.points_from_reports, plain.points_alert) == (3, 0, "none")
