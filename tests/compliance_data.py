"""A data set built for the OFM insurance-compliance tests, with the counts it must give as of
AS_OF: every status of DOMAIN.md, and the boundary days (a policy ending on AS_OF is still in
force, one ending the day before has lapsed 1 day, one effective the day after is not yet in
effect, one effective on AS_OF is in force, 30 days ahead is expiring and 31 is active)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

from search_index.records import Dataset, Vehicle
from tests.factories import (
    CONSUL_ID,
    DIPLOMAT_ID,
    MISSION_ID,
    SECOND_MISSION_ID,
    make_vehicle,
    small_dataset,
)

AS_OF = date(2026, 6, 15)


def _day(offset: int) -> date:
    return AS_OF + timedelta(days=offset)


def _own(plate: str, **overrides: Any) -> Vehicle:
    """A car of the first mission itself, insured (CSL 300,000) until a year after AS_OF."""
    values: dict[str, Any] = {
        "plate": plate,
        "owner_person_id": None,
        "owner_mission_id": MISSION_ID,
        "policy_number": f"PN-{plate}",
        "policy_effective": _day(-200),
        "policy_expiry": _day(365),
    }
    return make_vehicle(**(values | overrides))


VEHICLES: tuple[Vehicle, ...] = (
    # The first mission: a member's car and the mission's own.
    make_vehicle(plate="CMP001", owner_person_id=DIPLOMAT_ID, policy_expiry=AS_OF),  # expiring
    _own("CMP002", policy_effective=_day(1)),  # not_yet_effective
    _own("CMP003", policy_expiry=_day(-1)),  # lapsed, 1 day
    _own("CMP004", policy_cancelled=True),  # lapsed, days unknown
    _own(
        "CMP005",
        insurer=None,
        policy_number=None,
        policy_effective=None,
        policy_expiry=None,
        coverage_csl=None,
    ),  # none
    _own("CMP006", vehicle_type="trailer"),  # not_required
    _own("CMP007", policy_expiry=_day(31)),  # active
    _own("CMP008", policy_expiry=_day(30)),  # expiring
    _own("CMP009", policy_expiry=_day(31), insurer="Other Mutual"),  # active, same facts as 007
    _own(
        "CMP010",
        vehicle_type="motorcycle",
        coverage_csl=None,
        coverage_bi_person=100_000,
        coverage_bi_accident=300_000,
        coverage_pd=50_000,
    ),  # active: the motorcycle minimum
    _own(
        "CMP011",
        coverage_csl=None,
        coverage_bi_person=100_000,
        coverage_bi_accident=300_000,
        coverage_pd=50_000,
    ),  # below_minimum: a car needs 100,000 property damage
    _own("CMP012", policy_expiry=_day(-45)),  # lapsed, 45 days
    # The second mission: its consul's car, in force from AS_OF.
    make_vehicle(
        plate="CMP101", owner_person_id=CONSUL_ID, policy_effective=AS_OF, policy_expiry=_day(90)
    ),  # active
    _own("CMP102", owner_mission_id=SECOND_MISSION_ID, policy_expiry=_day(-1)),  # lapsed
)

EXPECTED: dict[str, dict[str, int]] = {
    MISSION_ID: {
        "active": 3,
        "expiring": 2,
        "lapsed": 3,
        "not_yet_effective": 1,
        "below_minimum": 1,
        "none": 1,
        "not_required": 1,
    },
    SECOND_MISSION_ID: {
        "active": 1,
        "expiring": 0,
        "lapsed": 1,
        "not_yet_effective": 0,
        "below_minimum": 0,
        "none": 0,
        "not_required": 0,
    },
}

# The first mission's vehicles an analyst must act on: plate -> (status, days_lapsed).
EXPECTED_TO_FIX: dict[str, tuple[str, int | None]] = {
    "CMP001": ("expiring", None),
    "CMP002": ("not_yet_effective", None),
    "CMP003": ("lapsed", 1),
    "CMP004": ("lapsed", None),
    "CMP005": ("none", None),
    "CMP008": ("expiring", None),
    "CMP011": ("below_minimum", None),
    "CMP012": ("lapsed", 45),
}


def compliance_dataset() -> Dataset:
    """small_dataset's missions (the first one placed on the map) and persons with the vehicles
    above."""
    base = small_dataset()
    missions = tuple(
        dataclasses.replace(m, latitude=38.91234, longitude=-77.0365)
        if m.mission_id == MISSION_ID
        else m
        for m in base.missions
    )
    return dataclasses.replace(base, missions=missions, vehicles=VEHICLES)
