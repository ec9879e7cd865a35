"""What OFM reviews internally (analysts only): a person or a mission with two or more incident
reports in the 12 months up to the chosen day, and a vehicle whose policy lapsed more than 30
days before it.

Decisions where the contract is silent: "12 months" is the 365 days ending with the chosen day
(in the deployment's time zone); a report counts for the person it names (`subject.person_id`)
and for the mission the subject resolved to, so a report filed by plate alone counts for the
registrant's mission, never for a person (a plate identifies the registrant, not the driver). A
flag shows the name, mission and time (as the officer gave it) of the latest of its reports:
latest by the instant it occurred, then by incident id. A cancelled policy's lapse day is
unknown, so it is never flagged by days (it shows as lapsed in the compliance pages).

The reports are counted in the state store (SQL GROUP BY, Elasticsearch aggregations); of each
flagged person or mission only its latest report is read, and only the fields shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from lookup.ofm.compliance import days_lapsed
from lookup.rules.insurance import InsuranceRules, insurance_on
from lookup.store.incidents import IncidentFilter, IncidentStore, TallyBy
from search_index.backend import Snapshot
from search_index.records import Vehicle

INCIDENTS_FLAGGED_AT = 2
INCIDENT_WINDOW_DAYS = 365
LAPSED_FLAGGED_AFTER_DAYS = 30


def incident_window(as_of: date, zone: tzinfo) -> IncidentFilter:
    """Reports that occurred in the 365 local days ending with `as_of`."""
    start = datetime.combine(as_of - timedelta(days=INCIDENT_WINDOW_DAYS - 1), time(), zone)
    end = datetime.combine(as_of + timedelta(days=1), time(), zone)
    return IncidentFilter(since=start, until=end)


@dataclass(frozen=True, slots=True)
class Repeated:
    key: str  # person or mission id
    name: str | None
    mission_id: str | None
    incidents: int
    last_occurred_at: str


def repeated(
    incidents: IncidentStore, window: IncidentFilter
) -> tuple[list[Repeated], list[Repeated]]:
    """The persons and the missions named by two or more reports in `window`, most reports
    first, then by id; each with the name, mission and time of its latest report (counted in
    the store: no report is read but that latest one of each)."""

    def flagged(by: TallyBy) -> list[Repeated]:
        found = [
            Repeated(
                key=t.key,
                name=t.latest.subject_name if by == "person_id" else t.latest.mission_name,
                mission_id=t.latest.mission_id,
                incidents=t.reports,
                last_occurred_at=t.latest.occurred_at,
            )
            for t in incidents.tallies(window, by, at_least=INCIDENTS_FLAGGED_AT)
        ]
        return sorted(found, key=lambda r: (-r.incidents, r.key))

    return flagged("person_id"), flagged("mission_id")


@dataclass(frozen=True, slots=True)
class LongLapsed:
    plate: str
    mission_id: str
    policy_expiry: date | None
    days_lapsed: int


def long_lapsed(snapshot: Snapshot, as_of: date, rules: InsuranceRules) -> list[LongLapsed]:
    """Vehicles lapsed more than 30 days, longest first: the store narrows to policies that
    ended over 30 days ago, the insurance rule decides which of them are lapsed."""
    cutoff = as_of - timedelta(days=LAPSED_FLAGGED_AFTER_DAYS)
    out: list[LongLapsed] = []
    for mission_id, vehicle in snapshot.expired_before(cutoff):
        days = _days(vehicle, as_of, rules)
        if days is not None and days > LAPSED_FLAGGED_AFTER_DAYS:
            out.append(LongLapsed(vehicle.plate, mission_id, vehicle.policy_expiry, days))
    return sorted(out, key=lambda v: (-v.days_lapsed, v.plate))


def _days(vehicle: Vehicle, as_of: date, rules: InsuranceRules) -> int | None:
    return days_lapsed(vehicle, insurance_on(vehicle, as_of, rules).status, as_of)
