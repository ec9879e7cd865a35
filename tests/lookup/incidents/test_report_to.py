"""Where a report goes: the U.S. Mission to the UN for UN persons, OFM for everyone else."""

from __future__ import annotations

from typing import Any

import pytest

from lookup.incidents.report_to import report_to


@pytest.mark.parametrize(
    ("mission", "expected"),
    [
        ({"mission_type": "mission_to_io", "city": "New York"}, "usun"),
        ({"mission_type": "international_organization", "city": " new  york "}, "usun"),
        ({"mission_type": "mission_to_io", "city": "New York City"}, "usun"),
        # The OAS and the organizations seated in Washington go through OFM.
        ({"mission_type": "mission_to_io", "city": "Washington"}, "ofm"),
        ({"mission_type": "international_organization", "city": "Washington"}, "ofm"),
        # A consulate in New York is not a UN mission.
        ({"mission_type": "consular_post", "city": "New York"}, "ofm"),
        ({"mission_type": "embassy", "city": "Washington"}, "ofm"),
        ({"mission_type": "mission_to_io", "city": None}, "ofm"),
        (None, "ofm"),
    ],
)
def test_report_to(mission: dict[str, Any] | None, expected: str) -> None:
    assert report_to(mission) == expected
