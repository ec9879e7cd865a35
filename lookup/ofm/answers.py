"""The compliance answers as JSON documents and CSV rows (DESIGN.md field names)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from lookup.ofm.compliance import STATUSES, Compliance, VehicleToFix, compliant_rate
from lookup.ofm.flags import LongLapsed, Repeated
from search_index.records import Mission

COMPLIANCE_COLUMNS: tuple[str, ...] = (
    "as_of",
    "mission_id",
    "name",
    "country",
    "mission_type",
    "vehicles",
    *STATUSES,
    "compliant_rate",
)


def compliance_json(report: Compliance, data_as_of: str, reference: str) -> dict[str, Any]:
    totals = report.totals
    return {
        "as_of": report.as_of.isoformat(),
        "data_as_of": data_as_of,
        "reference": reference,
        "missions": [
            {
                "mission_id": m.mission_id,
                "name": m.mission.name if m.mission else None,
                "country": m.mission.country if m.mission else None,
                "mission_type": m.mission.mission_type if m.mission else None,
                "vehicles": m.vehicles,
                "by_status": dict(m.by_status),
                "compliant_rate": m.compliant_rate,
            }
            for m in report.missions
        ],
        "totals": {
            "vehicles": sum(totals.values()),
            "by_status": dict(totals),
            "compliant_rate": compliant_rate(totals),
        },
    }


def compliance_rows(report: Compliance) -> Iterator[list[object]]:
    for m in report.missions:
        yield [
            report.as_of,
            m.mission_id,
            m.mission.name if m.mission else None,
            m.mission.country if m.mission else None,
            m.mission.mission_type if m.mission else None,
            m.vehicles,
            *(m.by_status[s] for s in STATUSES),
            m.compliant_rate,
        ]


def mission_vehicles_json(
    mission: Mission,
    vehicles: list[VehicleToFix],
    as_of: str,
    data_as_of: str,
    reference: str,
) -> dict[str, Any]:
    return {
        "as_of": as_of,
        "data_as_of": data_as_of,
        "reference": reference,
        "mission_id": mission.mission_id,
        "name": mission.name,
        "country": mission.country,
        "mission_type": mission.mission_type,
        "vehicles": [
            {
                "plate": v.plate,
                "status": v.status,
                "policy_expiry": v.policy_expiry.isoformat() if v.policy_expiry else None,
                "days_lapsed": v.days_lapsed,
            }
            for v in vehicles
        ],
    }


def flags_json(
    as_of: date,
    data_as_of: str,
    reference: str,
    persons: list[Repeated],
    missions: list[Repeated],
    vehicles: list[LongLapsed],
) -> dict[str, Any]:
    return {
        "as_of": as_of.isoformat(),
        "data_as_of": data_as_of,
        "reference": reference,
        "persons": [
            {
                "person_id": p.key,
                "name": p.name,
                "mission_id": p.mission_id,
                "incidents": p.incidents,
                "last_occurred_at": p.last_occurred_at,
            }
            for p in persons
        ],
        "missions": [
            {
                "mission_id": m.key,
                "name": m.name,
                "incidents": m.incidents,
                "last_occurred_at": m.last_occurred_at,
            }
            for m in missions
        ],
        "vehicles": [
            {
                "plate": v.plate,
                "mission_id": v.mission_id,
                "policy_expiry": v.policy_expiry.isoformat() if v.policy_expiry else None,
                "days_lapsed": v.days_lapsed,
            }
            for v in vehicles
        ],
    }
