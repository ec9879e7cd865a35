"""The OFM dashboard's incident charts and review flags as they were computed before the stores
counted them: in Python, over every report of the window read one by one. The aggregate contract
suite (test_incident_aggregates_contract.py) holds each backend's aggregates to these results.

Kept as it was, except where a comment says otherwise."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from lookup.ofm.charts import ChartData
from lookup.ofm.flags import INCIDENTS_FLAGGED_AT, Repeated


def incidents_by_month(documents: Sequence[Mapping[str, Any]], as_of: date) -> ChartData:
    months: list[str] = []
    year, month = as_of.year, as_of.month
    for _ in range(12):
        months.insert(0, f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    counts = Counter((str(d["occurred_at"])[:7], str(d["kind"])) for d in documents)
    kinds = sorted({kind for _, kind in counts})
    return ChartData(
        "Incident reports per month by kind",
        months,
        {kind: [counts[(m, kind)] for m in months] for kind in kinds} or {"Reports": [0] * 12},
    )


def top_missions(documents: Sequence[Mapping[str, Any]], limit: int = 10) -> ChartData:
    """`documents` in the stores' order (newest first): ties keep the order first seen."""
    counts: Counter[str] = Counter()
    for d in documents:
        mission = d["subject"].get("mission") or {}
        if mission.get("mission_id"):
            counts[f"{mission['mission_id']} {mission.get('country') or ''}".strip()] += 1
    top = counts.most_common(limit)
    return ChartData(
        f"The {limit} missions with the most incident reports",
        [name for name, _ in top],
        {"Reports": [count for _, count in top]},
    )


def repeated(documents: Iterable[Mapping[str, Any]]) -> tuple[list[Repeated], list[Repeated]]:
    persons: Counter[str] = Counter()
    missions: Counter[str] = Counter()
    seen: dict[tuple[str, str], tuple[str | None, str | None, str]] = {}
    for document in documents:
        subject = document["subject"]
        mission = subject.get("mission") or {}
        occurred = str(document["occurred_at"])
        for kind, key, name, mission_id in (
            ("person", subject.get("person_id"), subject.get("name"), mission.get("mission_id")),
            ("mission", mission.get("mission_id"), mission.get("name"), mission.get("mission_id")),
        ):
            if key is None:
                continue
            (persons if kind == "person" else missions)[key] += 1
            last = seen.get((kind, key))
            # The latest report was the one whose time *text* sorts last; equal to the latest
            # instant when a key's reports share one UTC offset (the stores now take the
            # latest instant: test_the_latest_report_is_the_latest_instant).
            if last is None or occurred > last[2]:
                seen[(kind, key)] = (name, mission_id, occurred)

    def flagged(kind: str, counts: Counter[str]) -> list[Repeated]:
        out = [
            Repeated(key, *seen[(kind, key)][:2], count, seen[(kind, key)][2])
            for key, count in counts.items()
            if count >= INCIDENTS_FLAGGED_AT
        ]
        return sorted(out, key=lambda r: (-r.incidents, r.key))

    return flagged("person", persons), flagged("mission", missions)
