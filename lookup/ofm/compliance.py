"""Insurance compliance of every mission's fleet as of a chosen day.

The statuses come from lookup/rules/insurance.py, applied once per PolicyGroup: the backend
counts the vehicles sharing the same policy facts per fleet (SQL GROUP BY, an Elasticsearch
composite aggregation), because the OFM minimums by vehicle type are configuration of this
package and cannot be pushed into the store. The work is O(groups) <= O(vehicles), one read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import get_args

from lookup.rules.insurance import InsuranceRules, InsuranceStatus, insurance_on
from search_index.backend import Snapshot
from search_index.records import Mission, Vehicle

STATUSES: tuple[InsuranceStatus, ...] = get_args(InsuranceStatus)
# What counts as meeting the requirement: insured (also when ending soon), or not required.
COMPLIANT: frozenset[InsuranceStatus] = frozenset({"active", "expiring", "not_required"})
# What a mission must act on (DESIGN.md), in the order a notice lists them.
TO_FIX: tuple[InsuranceStatus, ...] = (
    "lapsed",
    "none",
    "below_minimum",
    "not_yet_effective",
    "expiring",
)


def _zero() -> dict[InsuranceStatus, int]:
    return dict.fromkeys(STATUSES, 0)


def compliant_rate(by_status: dict[InsuranceStatus, int]) -> float | None:
    """(active + expiring + not_required) / vehicles, 4 decimals; None without vehicles."""
    vehicles = sum(by_status.values())
    if not vehicles:
        return None
    return round(sum(by_status[s] for s in COMPLIANT) / vehicles, 4)


@dataclass(frozen=True, slots=True)
class MissionCompliance:
    mission_id: str
    mission: Mission | None  # None only for a fleet whose mission is not in the set
    by_status: dict[InsuranceStatus, int]

    @property
    def vehicles(self) -> int:
        return sum(self.by_status.values())

    @property
    def compliant_rate(self) -> float | None:
        return compliant_rate(self.by_status)


@dataclass(frozen=True, slots=True)
class Compliance:
    as_of: date
    missions: list[MissionCompliance]  # by mission id; missions without vehicles are left out

    @property
    def totals(self) -> dict[InsuranceStatus, int]:
        total = _zero()
        for mission in self.missions:
            for status, count in mission.by_status.items():
                total[status] += count
        return total


def compliance(
    snapshot: Snapshot,
    as_of: date,
    rules: InsuranceRules,
    missions_read: Sequence[Mission] | None = None,
) -> Compliance:
    """The fleets' counts; `missions_read` are the set's missions when the caller has already
    read them from this snapshot (an export writing every mission), else they are read here."""
    counts: dict[str, Counter[InsuranceStatus]] = {}
    for group in snapshot.policy_groups():
        status = insurance_on(group, as_of, rules).status
        counts.setdefault(group.mission_id, Counter())[status] += group.vehicles
    if missions_read is None:
        missions_read = snapshot.missions()
    missions = {m.mission_id: m for m in missions_read}
    return Compliance(
        as_of=as_of,
        missions=[
            MissionCompliance(mission_id, missions.get(mission_id), _zero() | dict(found))
            for mission_id, found in sorted(counts.items())
        ],
    )


@dataclass(frozen=True, slots=True)
class VehicleToFix:
    plate: str
    status: InsuranceStatus
    policy_expiry: date | None
    days_lapsed: int | None


def days_lapsed(vehicle: Vehicle, status: InsuranceStatus, as_of: date) -> int | None:
    """Days since the last covered day (1 on the day after it) for a policy that ran out; a
    cancelled policy's cancellation day is not on record, so its days are unknown (None)."""
    if status != "lapsed" or vehicle.policy_cancelled or vehicle.policy_expiry is None:
        return None
    return (as_of - vehicle.policy_expiry).days


def to_fix(
    snapshot: Snapshot, mission_id: str, as_of: date, rules: InsuranceRules
) -> list[VehicleToFix]:
    """The fleet's vehicles that are lapsed, uninsured, below the minimum, not yet insured or
    expiring: the most urgent status first (TO_FIX order), then longest lapsed, then plate."""
    found: list[VehicleToFix] = []
    for vehicle in snapshot.fleet_of(mission_id):
        status = insurance_on(vehicle, as_of, rules).status
        if status in TO_FIX:
            found.append(
                VehicleToFix(
                    vehicle.plate,
                    status,
                    vehicle.policy_expiry,
                    days_lapsed(vehicle, status, as_of),
                )
            )
    found.sort(key=lambda v: (TO_FIX.index(v.status), -(v.days_lapsed or 0), v.plate))
    return found
