"""Every licence in an answer (plate household, person, licence lookup) takes its reported points
from the context's one source, read once per answer, with the served set's publication time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from lookup.answers.build import (
    AnswerContext,
    license_matches_json,
    person_json,
    plate_matches_json,
)
from search_index.records import NumberMatch, PlateMatch
from tests.factories import DIPLOMAT_ID, small_dataset
from tests.lookup.fakes import FakeSnapshot

TODAY = date(2026, 3, 15)


class Source:
    def __init__(self) -> None:
        self.calls: list[tuple[tuple[str, ...], datetime, date]] = []

    def __call__(
        self, person_ids: Sequence[str], published_at: datetime, today: date
    ) -> Mapping[str, int]:
        self.calls.append((tuple(person_ids), published_at, today))
        return {DIPLOMAT_ID: 9}


def snapshot() -> FakeSnapshot:
    data = small_dataset()
    return FakeSnapshot(
        missions=data.missions, persons=data.persons, vehicles=data.vehicles, licenses=data.licenses
    )


def test_every_licence_answer_adds_the_reported_points() -> None:
    source = Source()
    ctx = AnswerContext(today=TODAY, verify_phone="x", reported_points=source)
    snap = snapshot()
    diplomat = snap.persons[DIPLOMAT_ID]
    licence = person_json(snap, diplomat, ctx)["license"]
    assert (licence["points"], licence["points_from_reports"]) == (9, 9)
    assert licence["points_alert"] == "review"
    assert source.calls[0][1:] == (snap.info.published_at, TODAY)
    [held] = [lic for lic in snap.licenses.values() if lic.person_id == DIPLOMAT_ID]
    found = NumberMatch("exact", 1.0, held)
    assert license_matches_json(snap, [found], ctx)[0]["license"]["points_alert"] == "review"
    source.calls.clear()
    match = plate_matches_json(snap, [PlateMatch("exact", 1.0, snap.vehicles["DVL1234"])], ctx)[0]
    shown = [p["license"] for p in match["persons"] if p["license"]]
    assert shown
    assert len(source.calls) == 1  # one read for the whole household


def test_without_a_source_the_imported_figure_stands() -> None:
    snap = snapshot()
    licence = person_json(snap, snap.persons[DIPLOMAT_ID], AnswerContext(TODAY, "x"))["license"]
    assert (licence["points"], licence["points_from_reports"]) == (0, 0)
