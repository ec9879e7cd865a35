"""The dashboard charts' numbers (the tables beside them) and their SVG: no script source from
elsewhere, every category drawn."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from lookup.ofm import charts
from lookup.store.incidents import IncidentFilter, IncidentStore
from lookup.store.sqlite.store import SQLiteStateStore
from search_index.sqlite.backend import SQLiteBackend
from tests.factories import make_person, small_dataset

WINDOW = IncidentFilter(since=datetime(2025, 7, 1, tzinfo=UTC))


def report(number: int, occurred_at: str, kind: str, mission_id: str | None) -> dict[str, Any]:
    mission = {"mission_id": mission_id, "country": "Valdoria"} if mission_id else None
    return {
        "incident_id": f"IN-{number}",
        "agency_id": "A1",
        "status": "submitted",
        "occurred_at": occurred_at,
        "kind": kind,
        "subject": {"person_id": None, "mission": mission},
    }


@pytest.fixture
def incidents(tmp_path: Path) -> Iterator[IncidentStore]:
    store = SQLiteStateStore(tmp_path / "state.sqlite3")
    for document in (
        report(1, "2026-06-01T10:00:00+00:00", "crash", "M-VAL"),
        report(2, "2026-06-20T10:00:00+00:00", "parking", "M-VAL"),
        report(3, "2026-01-03T10:00:00+00:00", "crash", "M-COR"),
        report(4, "2025-07-31T10:00:00+00:00", "crash", None),  # 11 months before: the first
    ):
        store.incidents.add(document)
    yield store.incidents
    store.close()


def test_incidents_by_month_and_kind(incidents: IncidentStore) -> None:
    data = charts.incidents_by_month(incidents, WINDOW, date(2026, 6, 30))
    assert data.categories[0] == "2025-07"
    assert data.categories[-1] == "2026-06"
    assert len(data.categories) == 12
    assert data.series["crash"][-1] == 1
    assert data.series["parking"][-1] == 1
    assert data.series["crash"][0] == 1
    assert sum(data.series["crash"]) == 3


def test_top_missions(incidents: IncidentStore) -> None:
    data = charts.top_missions(incidents, WINDOW, limit=1)
    assert data.categories == ["M-VAL Valdoria"]
    assert data.series == {"Reports": [2]}


def test_travel_by_zone_and_regime(tmp_path: Path) -> None:
    persons = (
        make_person(person_id="P1", travel_control="notify"),
        make_person(person_id="P2", travel_control="approval", travel_zone="dc"),
        make_person(person_id="P3", travel_control="approval", travel_zone="dc"),
    )
    base = small_dataset()
    backend = SQLiteBackend(tmp_path / "data")
    backend.publish(dataclasses.replace(base, persons=base.persons + persons))
    with backend.snapshot() as snapshot:
        data = charts.travel_by_regime(snapshot)
    backend.close()
    # small_dataset's consul: `notify` in the New York zone.
    assert data.categories == ["dc", "no zone", "nyc"]
    assert data.series == {"Notify": [0, 1, 1], "Approval": [2, 0, 0]}


def test_svg_draws_every_category_and_loads_nothing_from_elsewhere(
    incidents: IncidentStore,
) -> None:
    svg = charts.svg(charts.top_missions(incidents, WINDOW))
    assert svg.startswith("<?xml") or svg.startswith("<svg")
    assert "M-VAL Valdoria" in svg
    assert "M-COR Valdoria" in svg
    assert "<script" not in svg or "src=" not in svg.split("<script", 1)[1].split(">", 1)[0]
