"""OFM driver licence status and points alerts as of the day of the lookup.

The record holds one points figure: the points OFM counts within its two-year window. Points OFM
has assessed in DipCheck since the record was published (lookup/answers/reported_points.py) are
added to it, and the alerts use the sum. The expiry date is the last valid day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from search_index.records import License, LicenseStatus

PointsAlert = Literal["none", "review", "suspension"]

_LABELS: dict[LicenseStatus, str] = {
    "valid": "Licence valid",
    "suspended": "Licence suspended",
    "revoked": "Licence revoked",
    "expired": "Licence expired",
}


@dataclass(frozen=True, slots=True)
class PointsThresholds:
    """OFM's demerit thresholds within 24 months (configuration: re-check before deployment)."""

    review: int = 8
    suspension: int = 12

    def __post_init__(self) -> None:
        if not 0 < self.review < self.suspension:
            raise ValueError("points thresholds: need 0 < review < suspension")


@dataclass(frozen=True, slots=True)
class Licence:
    status: LicenseStatus
    recorded_status: LicenseStatus
    label: str
    may_drive: bool
    points: int
    points_from_reports: int
    points_alert: PointsAlert
    notes: tuple[str, ...]


def licence_on(
    licence: License, today: date, thresholds: PointsThresholds, points_from_reports: int = 0
) -> Licence:
    """`points_from_reports`: points assessed since the record's publication (see above)."""
    status = licence.status
    if status == "valid" and licence.expiry is not None and licence.expiry < today:
        status = "expired"
    alert: PointsAlert = "none"
    notes: list[str] = []
    points = licence.points + points_from_reports
    if points >= thresholds.suspension:
        alert = "suspension"
        notes.append(
            f"{points} points: at or above {thresholds.suspension}, where OFM suspends "
            "all driving privileges."
        )
    elif points >= thresholds.review:
        alert = "review"
        notes.append(
            f"{points} points: at or above {thresholds.review}, where OFM reviews the "
            "driving record."
        )
    if points_from_reports:
        notes.append(
            f"{points_from_reports} of the points come from incident reports OFM assessed after "
            "this record was published."
        )
    if status != "valid":
        notes.append("Not licensed to drive today.")
    return Licence(
        status=status,
        recorded_status=licence.status,
        label=_LABELS[status],
        may_drive=status == "valid",
        points=points,
        points_from_reports=points_from_reports,
        points_alert=alert,
        notes=tuple(notes),
    )
