"""Motor-vehicle liability insurance status as of the day of the lookup.

Dates are inclusive: `policy_effective` is the first covered day and `policy_expiry` the last, so
a policy that ends today is in force today (`expiring`) and one that ended yesterday is `lapsed`.
`expiring` means in force and ending within `expiring_within_days` days (default 30): the end date
is today or at most 30 days ahead; 31 days ahead is `active`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

from search_index.records import VehicleType

InsuranceStatus = Literal[
    "active",
    "expiring",
    "lapsed",
    "not_yet_effective",
    "below_minimum",
    "none",
    "not_required",
]

# An OFM-registered vehicle without valid insurance may not be driven at all. A policy below the
# OFM minimum does not meet the requirement either, so it counts as uninsured here.
UNINSURED: frozenset[InsuranceStatus] = frozenset(
    {"lapsed", "none", "not_yet_effective", "below_minimum"}
)


class PolicyFacts(Protocol):
    """What the status follows from: a Vehicle, or a search_index PolicyGroup (many vehicles
    sharing these facts, as the OFM compliance aggregate counts them)."""

    @property
    def vehicle_type(self) -> VehicleType: ...
    @property
    def policy_identified(self) -> bool: ...
    @property
    def policy_effective(self) -> date | None: ...
    @property
    def policy_expiry(self) -> date | None: ...
    @property
    def policy_cancelled(self) -> bool: ...
    @property
    def coverage_csl(self) -> int | None: ...
    @property
    def coverage_bi_person(self) -> int | None: ...
    @property
    def coverage_bi_accident(self) -> int | None: ...
    @property
    def coverage_pd(self) -> int | None: ...


_LABELS: dict[InsuranceStatus, str] = {
    "active": "Insured",
    "expiring": "Insured, policy ending soon",
    "lapsed": "Not insured: policy lapsed",
    "not_yet_effective": "Not insured: policy not yet in effect",
    "below_minimum": "Coverage below the OFM minimum",
    "none": "Not insured: no policy on record",
    "not_required": "Covered by the towing vehicle's policy",
}
MAY_NOT_BE_DRIVEN = "Without valid insurance this vehicle may not be driven at all."


@dataclass(frozen=True, slots=True)
class CoverageMinimum:
    """A combined single limit, or a split of bodily injury per person / per accident and
    property damage; a policy meets the minimum with either."""

    csl: int
    bi_person: int
    bi_accident: int
    pd: int

    def met_by(self, vehicle: PolicyFacts) -> bool | None:
        """True or False when the recorded limits decide it; None when they are not recorded."""
        if vehicle.coverage_csl is not None and vehicle.coverage_csl >= self.csl:
            return True
        split = (
            (vehicle.coverage_bi_person, self.bi_person),
            (vehicle.coverage_bi_accident, self.bi_accident),
            (vehicle.coverage_pd, self.pd),
        )
        if all(have is not None and have >= need for have, need in split):
            return True
        if any(have is not None and have < need for have, need in split):
            return False
        # The split is incomplete; a recorded CSL below the minimum still decides it.
        return False if vehicle.coverage_csl is not None else None


@dataclass(frozen=True, slots=True)
class InsuranceRules:
    """OFM minimums (configuration: re-check them before a deployment). Vehicles of type `other`
    follow the car minimum; trailers have none (the towing vehicle's policy covers them)."""

    car: CoverageMinimum = field(
        default_factory=lambda: CoverageMinimum(300_000, 100_000, 300_000, 100_000)
    )
    motorcycle: CoverageMinimum = field(
        default_factory=lambda: CoverageMinimum(300_000, 100_000, 300_000, 50_000)
    )
    expiring_within_days: int = 30

    def minimum_for(self, vehicle_type: VehicleType) -> CoverageMinimum | None:
        if vehicle_type == "trailer":
            return None
        return self.motorcycle if vehicle_type == "motorcycle" else self.car


@dataclass(frozen=True, slots=True)
class Insurance:
    status: InsuranceStatus
    label: str
    may_be_driven: bool
    minimum: CoverageMinimum | None
    meets_minimum: bool | None
    days_left: int | None  # days from today to the last covered day, while in force
    notes: tuple[str, ...]


def insurance_on(vehicle: PolicyFacts, today: date, rules: InsuranceRules) -> Insurance:
    minimum = rules.minimum_for(vehicle.vehicle_type)
    meets = minimum.met_by(vehicle) if minimum else None
    status, days_left = _status(vehicle, today, rules, minimum, meets)
    notes: list[str] = []
    if status == "lapsed" and vehicle.policy_cancelled:
        notes.append("The policy was cancelled.")
    if minimum is not None and meets is None and status in ("active", "expiring"):
        notes.append("Coverage limits are not on record; the minimum could not be checked.")
    if status in UNINSURED:
        notes.append(MAY_NOT_BE_DRIVEN)
    return Insurance(
        status=status,
        label=_LABELS[status],
        may_be_driven=status not in UNINSURED,
        minimum=minimum,
        meets_minimum=meets,
        days_left=days_left,
        notes=tuple(notes),
    )


def _status(
    vehicle: PolicyFacts,
    today: date,
    rules: InsuranceRules,
    minimum: CoverageMinimum | None,
    meets: bool | None,
) -> tuple[InsuranceStatus, int | None]:
    if minimum is None:
        return "not_required", None
    if not _policy_on_record(vehicle):
        return "none", None
    if vehicle.policy_cancelled:
        return "lapsed", None
    if vehicle.policy_expiry is not None and vehicle.policy_expiry < today:
        return "lapsed", None
    if vehicle.policy_effective is not None and vehicle.policy_effective > today:
        return "not_yet_effective", None
    days_left = None if vehicle.policy_expiry is None else (vehicle.policy_expiry - today).days
    if meets is False:
        return "below_minimum", days_left
    if days_left is not None and days_left <= rules.expiring_within_days:
        return "expiring", days_left
    return "active", days_left


def _policy_on_record(vehicle: PolicyFacts) -> bool:
    return (
        vehicle.policy_cancelled
        or vehicle.policy_identified
        or any(
            value is not None
            for value in (
                vehicle.policy_effective,
                vehicle.policy_expiry,
                vehicle.coverage_csl,
                vehicle.coverage_bi_person,
                vehicle.coverage_bi_accident,
                vehicle.coverage_pd,
            )
        )
    )
