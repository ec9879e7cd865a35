"""The dashboard charts' numbers (the tables beside them) and their SVG: no script source from
elsewhere, every category drawn."""

from __future__ import annotations

from datetime import date
from typing import Any

from lookup.ofm import charts
from search_index.records import Person


def report(occurred_at: str, kind: str, mission_id: str | None) -> dict[str, Any]:
    mission = {"mission_id": mission_id, "country": "Valdoria"} if mission_id else None
    return {"occurred_at": occurred_at, "kind": kind, "subject": {"mission": mission}}


DOCUMENTS = [
    report("2026-06-01T10:00:00.000Z", "crash", "M-VAL"),
    report("2026-06-20T10:00:00.000Z", "parking", "M-VAL"),
    report("2026-01-03T10:00:00.000Z", "crash", "M-COR"),
    report("2025-07-31T10:00:00.000Z", "crash", None),  # 11 months before: the first month
]


def test_incidents_by_month_and_kind() -> None:
    data = charts.incidents_by_month(DOCUMENTS, date(2026, 6, 30))
    assert data.categories[0] == "2025-07"
    assert data.categories[-1] == "2026-06"
    assert len(data.categories) == 12
    assert data.series["crash"][-1] == 1
    assert data.series["parking"][-1] == 1
    assert data.series["crash"][0] == 1
    assert sum(data.series["crash"]) == 3


def test_top_missions() -> None:
    data = charts.top_missions(DOCUMENTS, limit=1)
    assert data.categories == ["M-VAL Valdoria"]
    assert data.series == {"Reports": [2]}


def test_travel_by_zone_and_regime() -> None:
    persons = [
        Person("P1", "M1", "A", "diplomatic_agent", "active", travel_control="notify"),
        Person("P2", "M1", "B", "diplomatic_agent", "active", travel_control="approval",
               travel_zone="dc"),
        Person("P3", "M1", "C", "diplomatic_agent", "active", travel_control="approval",
               travel_zone="dc"),
    ]  # fmt: skip
    data = charts.travel_by_regime(persons)
    assert data.categories == ["dc", "no zone"]
    assert data.series == {"Notify": [0, 1], "Approval": [2, 0]}


def test_svg_draws_every_category_and_loads_nothing_from_elsewhere() -> None:
    svg = charts.svg(charts.top_missions(DOCUMENTS))
    assert svg.startswith("<?xml") or svg.startswith("<svg")
    assert "M-VAL Valdoria" in svg
    assert "M-COR Valdoria" in svg
    assert "<script" not in svg or "src=" not in svg.split("<script", 1)[1].split(">", 1)[0]
