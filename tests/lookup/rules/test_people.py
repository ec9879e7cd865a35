"""Names and accreditation as of today."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lookup.rules.people import accreditation_on, display_name
from tests.factories import make_person

TODAY = date(2026, 3, 15)
DAY = timedelta(days=1)


def test_display_name() -> None:
    assert display_name(make_person()) == "Ostrander, Mirela"
    assert display_name(make_person(given_names=None)) == "Ostrander"


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({}, "active"),
        ({"accreditation_end": TODAY}, "active"),
        ({"accreditation_end": TODAY - DAY}, "ended"),
        ({"accreditation_start": TODAY}, "active"),
        ({"accreditation_start": TODAY + DAY}, "not_started"),
        ({"accreditation_status": "pending"}, "pending"),
        ({"accreditation_status": "terminated", "accreditation_end": TODAY + DAY}, "terminated"),
    ],
)
def test_accreditation_today(fields: dict[str, object], status: str) -> None:
    result = accreditation_on(make_person(**fields), TODAY)
    assert result.status == status
    assert result.active is (status == "active")
    assert result.label
