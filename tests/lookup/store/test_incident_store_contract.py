"""The incident section of the StateStore contract: every backend of conftest.py's `store`
(SQLite, Elasticsearch through the fake node, a live cluster when configured) must pass it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from lookup.store.base import DuplicateKey, StateStore, VersionConflict
from lookup.store.elasticsearch import incidents as elasticsearch_incidents
from lookup.store.incidents import IncidentFilter

PUBLISHED = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def report(
    incident_id: str,
    *,
    occurred_at: str = "2026-07-01T10:00:00-04:00",
    agency_id: str = "A1",
    kind: str = "moving_violation",
    person_id: str | None = "P-1",
    country: str | None = "Freedonia",
    mission_id: str | None = "M-1",
    assessment: dict[str, Any] | None = None,
) -> dict[str, Any]:
    mission = {"mission_id": mission_id, "name": "Embassy", "country": country} if country else None
    return {
        "incident_id": incident_id,
        "status": "assessed" if assessment else "submitted",
        "agency_id": agency_id,
        "occurred_at": occurred_at,
        "kind": kind,
        "subject": {"person_id": person_id, "name": "Doe, Jan", "mission": mission},
        "narrative": "Ran a red light.",
        "location": {"latitude": 38.9, "longitude": -77.03, "description": None},
        "immunity_claimed": False,
        "assessment": assessment,
    }


def points(n: int, at: datetime, decision: str = "points_assessed") -> dict[str, Any]:
    return {
        "decision": decision,
        "points": n if decision == "points_assessed" else None,
        "note": None,
        "assessed_at": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


def test_a_report_round_trips_whole_and_its_id_is_unique(store: StateStore) -> None:
    document = report("IN-1")
    store.incidents.add(document)
    assert store.incidents.get("IN-1") == (1, document)
    assert store.incidents.get("IN-2") is None
    with pytest.raises(DuplicateKey):
        store.incidents.add(report("IN-1", kind="crash"))
    assert store.incidents.get("IN-1") == (1, document)
    assert store.incidents.page(IncidentFilter(), offset=0, limit=10)[1] == 1


def test_replace_is_compare_and_set(store: StateStore) -> None:
    store.incidents.add(report("IN-1"))
    assessed = report("IN-1", assessment=points(5, PUBLISHED))
    assert store.incidents.replace("IN-1", assessed, expect_version=1) == 2
    assert store.incidents.get("IN-1") == (2, assessed)
    with pytest.raises(VersionConflict):
        store.incidents.replace("IN-1", report("IN-1"), expect_version=1)
    assert store.incidents.get("IN-1") == (2, assessed)
    with pytest.raises(KeyError):
        store.incidents.replace("IN-9", report("IN-9"), expect_version=1)
    # The filters follow the new document: it is no longer a submitted report.
    assert store.incidents.page(IncidentFilter(status="submitted"), offset=0, limit=10)[1] == 0
    assert store.incidents.page(IncidentFilter(status="assessed"), offset=0, limit=10)[1] == 1


def test_filters_order_and_paging(store: StateStore) -> None:
    store.incidents.add(report("IN-1", occurred_at="2026-07-01T10:00:00-04:00"))
    store.incidents.add(
        report("IN-2", occurred_at="2026-07-02T10:00:00+02:00", agency_id="A2", kind="crash")
    )
    store.incidents.add(
        report(
            "IN-3",
            occurred_at="2026-07-03T01:00:00Z",
            country="Ruritania",
            mission_id="M-2",
            person_id="P-2",
        )
    )

    def ids(**given: Any) -> list[str]:
        found, total = store.incidents.page(IncidentFilter(**given), offset=0, limit=10)
        assert total == len(found)
        return [d["incident_id"] for d in found]

    assert ids() == ["IN-3", "IN-2", "IN-1"]
    assert ids(agency_id="A2") == ["IN-2"]
    assert ids(kind="crash") == ["IN-2"]
    assert ids(country=" ruritania ") == ["IN-3"]
    assert ids(mission_id="M-1") == ["IN-2", "IN-1"]
    assert ids(person_id="P-2") == ["IN-3"]
    # Bounds are instants: 2026-07-02T10:00+02:00 is 08:00 UTC.
    since = datetime(2026, 7, 2, 8, 0, tzinfo=UTC)
    assert ids(since=since) == ["IN-3", "IN-2"]
    assert ids(until=since) == ["IN-1"]
    assert ids(since=since, until=since + timedelta(hours=1), kind="crash") == ["IN-2"]
    page, total = store.incidents.page(IncidentFilter(), offset=1, limit=1)
    assert ([d["incident_id"] for d in page], total) == (["IN-2"], 3)
    assert store.incidents.page(IncidentFilter(), offset=3, limit=5) == ([], 3)


def test_iterate_streams_every_match_in_order(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(elasticsearch_incidents, "PAGE", 2)  # several search_after pages
    for day in range(1, 6):
        store.incidents.add(report(f"IN-{day}", occurred_at=f"2026-07-0{day}T10:00:00Z"))
    store.incidents.add(report("IN-X", agency_id="A2"))
    found = [d["incident_id"] for d in store.incidents.iterate(IncidentFilter(agency_id="A1"))]
    assert found == ["IN-5", "IN-4", "IN-3", "IN-2", "IN-1"]


def test_reported_points_count_assessments_after_publication_within_the_window(
    store: StateStore,
) -> None:
    after = PUBLISHED + timedelta(days=1)
    before = PUBLISHED - timedelta(days=1)
    store.incidents.add(report("IN-1", assessment=points(5, after)))
    store.incidents.add(report("IN-2", assessment=points(4, after)))
    store.incidents.add(report("IN-3", assessment=points(6, before)))  # in the imported figure
    store.incidents.add(report("IN-4", assessment=points(0, after, "no_action")))
    store.incidents.add(report("IN-5"))  # not assessed yet
    store.incidents.add(
        report("IN-6", occurred_at="2024-06-30T23:00:00-04:00", assessment=points(3, after))
    )
    store.incidents.add(report("IN-7", person_id="P-2", assessment=points(2, after)))
    store.incidents.add(report("IN-8", person_id="P-3", assessment=points(0, after)))
    found = store.incidents.reported_points(
        ["P-1", "P-2", "P-3", "P-4"], assessed_after=PUBLISHED, occurred_from=date(2024, 7, 1)
    )
    assert found == {"P-1": 9, "P-2": 2}
    # The window's first day counts (the officer's own calendar day, not UTC's).
    assert store.incidents.reported_points(
        ["P-1"], assessed_after=PUBLISHED, occurred_from=date(2024, 6, 30)
    ) == {"P-1": 12}
    assert (
        store.incidents.reported_points([], assessed_after=PUBLISHED, occurred_from=date.min) == {}
    )


def test_the_total_is_counted_up_to_the_limit_and_one_more(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lookup.store.elasticsearch import incidents as elasticsearch_incidents
    from lookup.store.sqlite import incidents as sqlite_incidents

    for module in (sqlite_incidents, elasticsearch_incidents):
        monkeypatch.setattr(module, "COUNT_LIMIT", 2)
    for day in range(1, 6):
        store.incidents.add(report(f"IN-{day}", occurred_at=f"2026-07-0{day}T10:00:00Z"))
    found, total = store.incidents.page(IncidentFilter(), offset=0, limit=1)
    assert ([d["incident_id"] for d in found], total) == (["IN-5"], 3)
    assert store.incidents.page(IncidentFilter(agency_id="A9"), offset=0, limit=1) == ([], 0)


def test_the_assessments_mark_changes_with_every_assessment(store: StateStore) -> None:
    incidents = store.incidents
    empty = incidents.assessments_mark()
    assert incidents.assessments_mark() == empty  # a read changes nothing
    incidents.add(report("IN-1"))
    incidents.add(report("IN-2"))
    assert incidents.assessments_mark() == empty  # reports without an assessment do not count
    seen = {empty}
    version = incidents.replace(
        "IN-1", report("IN-1", assessment=points(2, PUBLISHED)), expect_version=1
    )
    seen.add(incidents.assessments_mark())
    # The second report assessed at the very same millisecond still changes it (the count).
    incidents.replace("IN-2", report("IN-2", assessment=points(3, PUBLISHED)), expect_version=1)
    seen.add(incidents.assessments_mark())
    # A replaced assessment (a later one on an already assessed report) changes it too.
    incidents.replace(
        "IN-1",
        report("IN-1", assessment=points(4, PUBLISHED + timedelta(minutes=1))),
        expect_version=version,
    )
    seen.add(incidents.assessments_mark())
    assert len(seen) == 4
