"""The incident section of the StateStore contract: every backend of conftest.py's `store`
(SQLite, Elasticsearch through the fake node, a live cluster when configured) must pass it, for
the live reports (`incidents`) and for training mode's (`training_incidents`) alike, and keep the
two apart both ways."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from lookup.store.base import DuplicateKey, StateStore, VersionConflict
from lookup.store.elasticsearch import incidents as elasticsearch_incidents
from lookup.store.incidents import IncidentFilter, IncidentStore

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


@pytest.fixture(params=["incidents", "training_incidents"])
def incidents(request: pytest.FixtureRequest, store: StateStore) -> IncidentStore:
    section: IncidentStore = getattr(store, request.param)
    return section


def points(n: int, at: datetime, decision: str = "points_assessed") -> dict[str, Any]:
    return {
        "decision": decision,
        "points": n if decision == "points_assessed" else None,
        "note": None,
        "assessed_at": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


def test_a_report_round_trips_whole_and_its_id_is_unique(incidents: IncidentStore) -> None:
    document = report("IN-1")
    incidents.add(document)
    assert incidents.get("IN-1") == (1, document)
    assert incidents.get("IN-2") is None
    with pytest.raises(DuplicateKey):
        incidents.add(report("IN-1", kind="crash"))
    assert incidents.get("IN-1") == (1, document)
    assert incidents.page(IncidentFilter(), offset=0, limit=10)[1] == 1


def test_replace_is_compare_and_set(incidents: IncidentStore) -> None:
    incidents.add(report("IN-1"))
    assessed = report("IN-1", assessment=points(5, PUBLISHED))
    assert incidents.replace("IN-1", assessed, expect_version=1) == 2
    assert incidents.get("IN-1") == (2, assessed)
    with pytest.raises(VersionConflict):
        incidents.replace("IN-1", report("IN-1"), expect_version=1)
    assert incidents.get("IN-1") == (2, assessed)
    with pytest.raises(KeyError):
        incidents.replace("IN-9", report("IN-9"), expect_version=1)
    # The filters follow the new document: it is no longer a submitted report.
    assert incidents.page(IncidentFilter(status="submitted"), offset=0, limit=10)[1] == 0
    assert incidents.page(IncidentFilter(status="assessed"), offset=0, limit=10)[1] == 1


def test_filters_order_and_paging(incidents: IncidentStore) -> None:
    incidents.add(report("IN-1", occurred_at="2026-07-01T10:00:00-04:00"))
    incidents.add(
        report("IN-2", occurred_at="2026-07-02T10:00:00+02:00", agency_id="A2", kind="crash")
    )
    incidents.add(
        report(
            "IN-3",
            occurred_at="2026-07-03T01:00:00Z",
            country="Ruritania",
            mission_id="M-2",
            person_id="P-2",
        )
    )

    def ids(**given: Any) -> list[str]:
        found, total = incidents.page(IncidentFilter(**given), offset=0, limit=10)
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
    page, total = incidents.page(IncidentFilter(), offset=1, limit=1)
    assert ([d["incident_id"] for d in page], total) == (["IN-2"], 3)
    assert incidents.page(IncidentFilter(), offset=3, limit=5) == ([], 3)


def test_iterate_streams_every_match_in_order(
    incidents: IncidentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(elasticsearch_incidents, "PAGE", 2)  # several search_after pages
    for day in range(1, 6):
        incidents.add(report(f"IN-{day}", occurred_at=f"2026-07-0{day}T10:00:00Z"))
    incidents.add(report("IN-X", agency_id="A2"))
    found = [d["incident_id"] for d in incidents.iterate(IncidentFilter(agency_id="A1"))]
    assert found == ["IN-5", "IN-4", "IN-3", "IN-2", "IN-1"]


def test_reported_points_count_assessments_after_publication_within_the_window(
    incidents: IncidentStore,
) -> None:
    after = PUBLISHED + timedelta(days=1)
    before = PUBLISHED - timedelta(days=1)
    incidents.add(report("IN-1", assessment=points(5, after)))
    incidents.add(report("IN-2", assessment=points(4, after)))
    incidents.add(report("IN-3", assessment=points(6, before)))  # in the imported figure
    incidents.add(report("IN-4", assessment=points(0, after, "no_action")))
    incidents.add(report("IN-5"))  # not assessed yet
    incidents.add(
        report("IN-6", occurred_at="2024-06-30T23:00:00-04:00", assessment=points(3, after))
    )
    incidents.add(report("IN-7", person_id="P-2", assessment=points(2, after)))
    incidents.add(report("IN-8", person_id="P-3", assessment=points(0, after)))
    found = incidents.reported_points(
        ["P-1", "P-2", "P-3", "P-4"], assessed_after=PUBLISHED, occurred_from=date(2024, 7, 1)
    )
    assert found == {"P-1": 9, "P-2": 2}
    # The window's first day counts (the officer's own calendar day, not UTC's).
    assert incidents.reported_points(
        ["P-1"], assessed_after=PUBLISHED, occurred_from=date(2024, 6, 30)
    ) == {"P-1": 12}
    assert incidents.reported_points([], assessed_after=PUBLISHED, occurred_from=date.min) == {}


def test_the_total_is_counted_up_to_the_limit_and_one_more(
    incidents: IncidentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lookup.store.elasticsearch import incidents as elasticsearch_incidents
    from lookup.store.sqlite import incidents as sqlite_incidents

    for module in (sqlite_incidents, elasticsearch_incidents):
        monkeypatch.setattr(module, "COUNT_LIMIT", 2)
    for day in range(1, 6):
        incidents.add(report(f"IN-{day}", occurred_at=f"2026-07-0{day}T10:00:00Z"))
    found, total = incidents.page(IncidentFilter(), offset=0, limit=1)
    assert ([d["incident_id"] for d in found], total) == (["IN-5"], 3)
    assert incidents.page(IncidentFilter(agency_id="A9"), offset=0, limit=1) == ([], 0)


def test_the_assessments_mark_changes_with_every_assessment(incidents: IncidentStore) -> None:
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


def test_training_reports_and_live_reports_never_meet(store: StateStore) -> None:
    """The two sections share one store object and one backend, and no read of either (get,
    page, iterate, points, assessment mark) meets the other's reports."""
    live, training = store.incidents, store.training_incidents
    live_report = report("IN-LIVE", assessment=points(5, PUBLISHED + timedelta(days=1)))
    live.add(live_report)
    live_mark, training_mark = live.assessments_mark(), training.assessments_mark()
    training.add(report("IN-TRAIN", agency_id="training", person_id="P-T"))
    training.replace(
        "IN-TRAIN",
        report("IN-TRAIN", agency_id="training", person_id="P-T", assessment=points(3, PUBLISHED)),
        expect_version=1,
    )
    assert live.assessments_mark() == live_mark
    assert training.assessments_mark() != training_mark
    window = {"assessed_after": PUBLISHED - timedelta(days=1), "occurred_from": date(2024, 1, 1)}
    assert live.reported_points(["P-1", "P-T"], **window) == {"P-1": 5}
    assert training.reported_points(["P-1", "P-T"], **window) == {"P-T": 3}
    for section, own, other in ((live, "IN-LIVE", "IN-TRAIN"), (training, "IN-TRAIN", "IN-LIVE")):
        assert section.get(other) is None
        assert section.get(own) is not None
        page = section.page(IncidentFilter(), offset=0, limit=9)
        assert ([d["incident_id"] for d in page[0]], page[1]) == ([own], 1)
        assert [d["incident_id"] for d in section.iterate(IncidentFilter())] == [own]
    # Two stores, not one with a flag: the same id may be taken in each.
    training.add(report("IN-LIVE", agency_id="training"))
    assert live.get("IN-LIVE") == (1, live_report)
