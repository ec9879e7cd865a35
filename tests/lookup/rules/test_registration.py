"""Registration status as of today, and when plates may be confiscated."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lookup.rules.registration import registration_on
from tests.factories import make_vehicle

TODAY = date(2026, 3, 15)


@pytest.mark.parametrize(
    ("expiry", "expected"),
    [(TODAY - timedelta(days=1), "expired"), (TODAY, "active"), (None, "active")],
)
def test_active_past_expiry_reads_expired(expiry: date | None, expected: str) -> None:
    result = registration_on(make_vehicle(registration_expiry=expiry), TODAY)
    assert result.status == expected
    assert result.recorded_status == "active"
    assert result.may_confiscate_plates is (expected == "expired")


@pytest.mark.parametrize(
    ("recorded", "confiscate"),
    [("stolen", True), ("revoked", True), ("expired", True), ("suspended", False)],
)
def test_recorded_statuses(recorded: str, confiscate: bool) -> None:
    result = registration_on(make_vehicle(registration_status=recorded), TODAY)
    assert result.status == recorded
    assert result.may_confiscate_plates is confiscate
    assert result.notes


def test_stolen_label_and_note() -> None:
    result = registration_on(make_vehicle(registration_status="stolen"), TODAY)
    assert result.label == "Plates reported stolen"
    assert "confiscated" in result.notes[0]
