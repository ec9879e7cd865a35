"""The incident aggregates of the StateStore contract (the OFM dashboard's charts and review
flags), on every backend of conftest.py's `store`: each is held to what the Python count over
every report gave (counted_in_python.py) on the same reports, then to hand-checked edge cases."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lookup.ofm import charts, flags
from lookup.store.base import StateStore
from lookup.store.elasticsearch import incidents as elasticsearch_incidents
from lookup.store.incidents import IncidentStore
from tests.lookup.store import counted_in_python

ZONE = ZoneInfo("America/New_York")
AS_OF = date(2026, 3, 15)
KINDS = ("moving_violation", "parking", "crash", "dui_dwi")
MISSIONS = {
    "M-VAL": ("Embassy of Valdoria", "Valdoria"),
    "M-COR": ("Consulate of Corvania", "Corvania"),
    "M-RUR": ("Embassy of Ruritania", None),  # a mission without a country on record
    "M-FRE": ("Embassy of Freedonia", "Freedonia"),
    "M-SYL": ("Embassy of Sylvania", "Sylvania"),
}


def report(
    incident_id: str,
    occurred: datetime,
    *,
    kind: str = "moving_violation",
    person_id: str | None = "P-1",
    mission_id: str | None = "M-VAL",
) -> dict[str, Any]:
    mission = None
    if mission_id is not None:
        name, country = MISSIONS[mission_id]
        mission = {"mission_id": mission_id, "name": name, "country": country}
    return {
        "incident_id": incident_id,
        "status": "submitted",
        "agency_id": "A1",
        "occurred_at": occurred.isoformat(),
        "kind": kind,
        "subject": {
            "person_id": person_id,
            "name": f"Name of {person_id}" if person_id else None,
            "mission": mission,
        },
        "assessment": None,
    }


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


@pytest.fixture
def incidents(store: StateStore, monkeypatch: pytest.MonkeyPatch) -> IncidentStore:
    # Small pages on Elasticsearch: every aggregate below needs several of them.
    monkeypatch.setattr(elasticsearch_incidents, "AGG_PAGE", 3)
    return store.incidents


def many_reports() -> list[dict[str, Any]]:
    """Reports of 14 months around the 365-day window: persons in one or two missions, reports
    without a person or a mission, equal times, counts tied between missions."""
    rng = random.Random(15)
    persons = [f"P-{n}" for n in range(1, 9)]
    found: list[dict[str, Any]] = []
    for n in range(160):
        day = AS_OF - timedelta(days=rng.randrange(-5, 420))
        # Local office hours: a report given in the deployment's offset, as the web form gives it.
        occurred = local(day, rng.randrange(7, 23), rng.choice((0, 15, 30, 45)))
        person = rng.choice([*persons, None])
        mission = rng.choice(["M-VAL", "M-COR", "M-RUR", None]) if n % 3 else "M-VAL"
        found.append(
            report(f"IN-{n:04d}", occurred, kind=rng.choice(KINDS), person_id=person,
                   mission_id=mission)
        )  # fmt: skip
    # Two missions with three reports each, the latest of both at the same instant: the higher
    # incident id comes first (the stores' reading order), and a limit of 4 cuts between them.
    same = local(AS_OF - timedelta(days=2), 9)
    for n in range(3):
        found.append(report(f"IN-TA{n}", same, person_id=None, mission_id="M-SYL"))
        found.append(report(f"IN-TB{n}", same, person_id=None, mission_id="M-FRE"))
    return found


def test_the_aggregates_equal_the_python_count_over_every_report(
    incidents: IncidentStore,
) -> None:
    for document in many_reports():
        incidents.add(document)
    window = flags.incident_window(AS_OF, ZONE)
    documents = list(incidents.iterate(window))
    assert 100 < len(documents) < 160  # some fell outside the window
    assert charts.incidents_by_month(incidents, window, AS_OF) == (
        counted_in_python.incidents_by_month(documents, AS_OF)
    )
    assert counted_in_python.top_missions(documents, 5).categories[3:] == [
        "M-FRE Freedonia",
        "M-SYL Sylvania",
    ]
    for limit in (1, 2, 3, 4, 10):
        assert charts.top_missions(incidents, window, limit) == (
            counted_in_python.top_missions(documents, limit)
        )
    assert flags.repeated(incidents, window) == counted_in_python.repeated(documents)
    # Nothing reported in the window: the same empty charts and lists.
    empty = flags.incident_window(date(2020, 1, 1), ZONE)
    assert charts.incidents_by_month(incidents, empty, AS_OF) == (
        counted_in_python.incidents_by_month([], AS_OF)
    )
    assert charts.top_missions(incidents, empty) == counted_in_python.top_missions([])
    assert flags.repeated(incidents, empty) == ([], [])


def test_a_month_ends_at_midnight_where_the_report_was_given(incidents: IncidentStore) -> None:
    """23:30 on the last day of January in Washington is February in UTC: the report counts
    for January, the month of the day the officer gave (the Python count read it off the text)."""
    incidents.add(report("IN-1", local(date(2026, 1, 31), 23, 30), kind="crash"))
    incidents.add(report("IN-2", local(date(2026, 2, 1), 0, 0), kind="crash"))
    incidents.add(report("IN-3", local(date(2026, 2, 28), 23, 59), kind="parking"))
    window = flags.incident_window(AS_OF, ZONE)
    assert incidents.reports_by_month(window) == {
        ("2026-01", "crash"): 1,
        ("2026-02", "crash"): 1,
        ("2026-02", "parking"): 1,
    }
    data = charts.incidents_by_month(incidents, window, AS_OF)
    assert data.series["crash"][-3:] == [1, 1, 0]
    assert data.series["parking"][-3:] == [0, 1, 0]


def test_the_window_is_the_365_local_days_up_to_the_day(incidents: IncidentStore) -> None:
    first = AS_OF - timedelta(days=364)  # day 365 counted back, the window's first
    incidents.add(report("IN-IN1", local(first, 0, 0)))
    incidents.add(report("IN-IN2", local(AS_OF, 23, 59)))
    incidents.add(report("IN-OUT1", local(first - timedelta(days=1), 23, 59)))  # day 366
    incidents.add(report("IN-OUT2", local(AS_OF + timedelta(days=1), 0, 0)))
    window = flags.incident_window(AS_OF, ZONE)
    (tally,) = incidents.tallies(window, "person_id")
    assert (tally.key, tally.reports, tally.latest.incident_id) == ("P-1", 2, "IN-IN2")
    assert sum(incidents.reports_by_month(window).values()) == 2


def test_tallies_count_persons_and_missions_from_two_reports_on(incidents: IncidentStore) -> None:
    # P-1: two reports in two missions, flagged; the latest names M-COR.
    incidents.add(report("IN-1", local(date(2026, 1, 5), 10), mission_id="M-VAL"))
    incidents.add(report("IN-2", local(date(2026, 2, 5), 10), mission_id="M-COR"))
    # P-2: one report, not flagged; a report naming no mission counts for the person only.
    incidents.add(report("IN-3", local(date(2026, 2, 6), 10), person_id="P-2", mission_id=None))
    # A report by plate alone names a mission but no person.
    incidents.add(report("IN-4", local(date(2026, 2, 7), 10), person_id=None, mission_id="M-VAL"))
    window = flags.incident_window(AS_OF, ZONE)
    persons, missions = flags.repeated(incidents, window)
    assert persons == [
        flags.Repeated("P-1", "Name of P-1", "M-COR", 2, "2026-02-05T10:00:00-05:00")
    ]
    assert missions == [
        flags.Repeated("M-VAL", "Embassy of Valdoria", "M-VAL", 2, "2026-02-07T10:00:00-05:00")
    ]
    every = incidents.tallies(window, "person_id")
    assert [(t.key, t.reports) for t in every] == [("P-1", 2), ("P-2", 1)]
    assert every[1].latest.mission_id is None
    top = incidents.tallies(window, "mission_id", top=1)
    assert [(t.key, t.reports, t.latest.mission_country) for t in top] == [("M-VAL", 2, "Valdoria")]


def test_the_latest_report_is_the_latest_instant(incidents: IncidentStore) -> None:
    """Reports given in different offsets: the latest is the later instant, shown as given.
    (The Python count took the text that sorts last: 10:00+01:00, the earlier one.)"""
    incidents.add(report("IN-1", datetime.fromisoformat("2026-03-01T10:00:00+01:00")))
    incidents.add(report("IN-2", datetime.fromisoformat("2026-03-01T09:30:00+00:00")))
    persons, _missions = flags.repeated(incidents, flags.incident_window(AS_OF, ZONE))
    assert [(p.key, p.last_occurred_at) for p in persons] == [("P-1", "2026-03-01T09:30:00+00:00")]


def test_tallies_of_more_keys_than_a_page(
    incidents: IncidentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(elasticsearch_incidents, "AGG_PAGE", 2)
    for n in range(7):
        for copy in range(n % 3 + 1):
            incidents.add(report(f"IN-{n}-{copy}", local(date(2026, 2, 1 + n), 10 + copy),
                                 person_id=f"P-{n}"))  # fmt: skip
    window = flags.incident_window(AS_OF, ZONE)
    found = incidents.tallies(window, "person_id", at_least=2)
    assert [(t.key, t.reports) for t in found] == [
        ("P-5", 3), ("P-2", 3), ("P-4", 2), ("P-1", 2),
    ]  # fmt: skip
    assert [t.latest.incident_id for t in found] == ["IN-5-2", "IN-2-2", "IN-4-1", "IN-1-1"]
    assert [t.key for t in incidents.tallies(window, "person_id", top=3)] == ["P-5", "P-2", "P-4"]
