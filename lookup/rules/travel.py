"""Travel-control coverage as of the day of the lookup.

`travel_notice_until` is the last day the notification or approval on file covers: a notice until
today covers today, one until yesterday does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from search_index.records import Person, TravelControl, TravelZone

ZONE_LABELS: dict[TravelZone, str] = {
    "dc": "25 miles of the White House (Washington, DC)",
    "nyc": "25 miles of Columbus Circle (New York)",
}
_NEEDS: dict[TravelControl, str] = {
    "notify": "prior notification to OFM",
    "approval": "prior approval from OFM",
}
_ON_FILE: dict[TravelControl, str] = {"notify": "Notification", "approval": "Approval"}


@dataclass(frozen=True, slots=True)
class Travel:
    regime: TravelControl
    zone: TravelZone | None
    zone_label: str | None
    notice_until: date | None
    covers_today: bool | None  # None when no travel control applies
    label: str


def travel_on(person: Person, today: date) -> Travel:
    regime = person.travel_control
    zone = person.travel_zone
    zone_label = ZONE_LABELS[zone] if zone else None
    if regime == "none":
        return Travel(
            regime, zone, zone_label, person.travel_notice_until, None, "No travel controls"
        )
    until = person.travel_notice_until
    beyond = f"beyond {zone_label}" if zone_label else "beyond the controlled zone (not recorded)"
    if until is not None and until >= today:
        label = f"{_ON_FILE[regime]} on file covers today (until {until.isoformat()})"
        return Travel(regime, zone, zone_label, until, True, label)
    label = (
        f"No {_ON_FILE[regime].lower()} on file for today: travel {beyond} needs {_NEEDS[regime]}"
    )
    return Travel(regime, zone, zone_label, until, False, label)
