"""Licence status as of today and the points alerts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lookup.rules.licence import PointsThresholds, licence_on
from tests.factories import make_license

TODAY = date(2026, 3, 15)
DEFAULT = PointsThresholds()


@pytest.mark.parametrize(
    ("points", "alert"),
    [
        (0, "none"),
        (7, "none"),
        (8, "review"),
        (11, "review"),
        (12, "suspension"),
        (30, "suspension"),
    ],
)
def test_points_alerts(points: int, alert: str) -> None:
    result = licence_on(make_license(points=points), TODAY, DEFAULT)
    assert result.points_alert == alert
    assert result.points == points
    assert bool(result.notes) is (alert != "none")


def test_thresholds_are_configuration() -> None:
    custom = PointsThresholds(review=4, suspension=6)
    assert licence_on(make_license(points=4), TODAY, custom).points_alert == "review"
    assert licence_on(make_license(points=6), TODAY, custom).points_alert == "suspension"


@pytest.mark.parametrize(("review", "suspension"), [(0, 12), (12, 12), (13, 12)])
def test_inconsistent_thresholds_are_refused(review: int, suspension: int) -> None:
    with pytest.raises(ValueError, match="review < suspension"):
        PointsThresholds(review=review, suspension=suspension)


@pytest.mark.parametrize(
    ("expiry", "expected"),
    [(TODAY - timedelta(days=1), "expired"), (TODAY, "valid"), (None, "valid")],
)
def test_valid_past_expiry_reads_expired(expiry: date | None, expected: str) -> None:
    result = licence_on(make_license(expiry=expiry), TODAY, DEFAULT)
    assert result.status == expected
    assert result.recorded_status == "valid"
    assert result.may_drive is (expected == "valid")


@pytest.mark.parametrize("status", ["suspended", "revoked", "expired"])
def test_not_valid_may_not_drive(status: str) -> None:
    result = licence_on(make_license(status=status), TODAY, DEFAULT)
    assert result.status == status
    assert result.may_drive is False
    assert "Not licensed to drive today." in result.notes
