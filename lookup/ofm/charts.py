"""The dashboard's charts, drawn server-side as SVG by pygal (no script runs: the browser loads
them as images), each from the same numbers its page shows in a table beside it."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pygal
from pygal.style import Style

from lookup.ofm.compliance import COMPLIANT, STATUSES, Compliance
from lookup.rules.insurance import InsuranceRules, insurance_on
from search_index.records import Person, PolicyGroup

# pygal puts an import hook for its map plugins (pygal.maps.*, unused here) on sys.meta_path;
# the hook lacks find_spec, so every later import warns (an error under the test suite's
# warning filter). Take it off again.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#555555",
    colors=("#1b5e20", "#b71c1c", "#0d47a1", "#e65100"),
    font_family="sans-serif",
)


@dataclass(frozen=True, slots=True)
class ChartData:
    """A chart's numbers: one row a category, one column a series."""

    title: str
    categories: list[str]
    series: dict[str, list[int]]


def by_mission_type(report: Compliance) -> ChartData:
    compliant: Counter[str] = Counter()
    not_compliant: Counter[str] = Counter()
    for m in report.missions:
        kind = m.mission.mission_type if m.mission else "unknown"
        for status in STATUSES:
            target = compliant if status in COMPLIANT else not_compliant
            target[kind] += m.by_status[status]
    kinds = sorted(set(compliant) | set(not_compliant))
    return ChartData(
        "Vehicles by mission type: compliant or not",
        kinds,
        {
            "Compliant": [compliant[k] for k in kinds],
            "Not compliant": [not_compliant[k] for k in kinds],
        },
    )


def ending_by_week(groups: list[PolicyGroup], as_of: date, rules: InsuranceRules) -> ChartData:
    """Policies in force whose last day falls in each of the next 13 weeks (91 days)."""
    weeks = [0] * 13
    for group in groups:
        if group.policy_expiry is None:
            continue
        status = insurance_on(group, as_of, rules).status
        ahead = (group.policy_expiry - as_of).days
        if status in ("active", "expiring") and 0 <= ahead < 91:
            weeks[ahead // 7] += group.vehicles
    labels = [(as_of + timedelta(days=7 * n)).isoformat() for n in range(13)]
    return ChartData(
        "Policies ending in the next 13 weeks, by week starting", labels, {"Policies ending": weeks}
    )


def travel_by_regime(persons: list[Person]) -> ChartData:
    """Persons under travel control by zone (rows) and regime (series)."""
    counts: Counter[tuple[str, str]] = Counter(
        (p.travel_zone or "no zone", p.travel_control) for p in persons
    )
    zones = sorted({zone for zone, _ in counts})
    return ChartData(
        "Persons under travel control by zone and regime",
        zones,
        {
            "Notify": [counts[(z, "notify")] for z in zones],
            "Approval": [counts[(z, "approval")] for z in zones],
        },
    )


def _month(iso_time: str) -> str:
    return iso_time[:7]


def incidents_by_month(documents: Sequence[Mapping[str, Any]], as_of: date) -> ChartData:
    """Reports of the 12 months up to `as_of`'s month, by month (rows) and kind (series)."""
    months: list[str] = []
    year, month = as_of.year, as_of.month
    for _ in range(12):
        months.insert(0, f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    counts = Counter((_month(str(d["occurred_at"])), str(d["kind"])) for d in documents)
    kinds = sorted({kind for _, kind in counts})
    return ChartData(
        "Incident reports per month by kind",
        months,
        {kind: [counts[(m, kind)] for m in months] for kind in kinds} or {"Reports": [0] * 12},
    )


def top_missions(documents: Sequence[Mapping[str, Any]], limit: int = 10) -> ChartData:
    """The missions named by the most reports."""
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


def svg(data: ChartData) -> str:
    chart = pygal.Bar(
        js=[],
        style=_STYLE,
        width=720,
        height=360,
        explicit_size=True,
        title=data.title,
        x_label_rotation=30,
        print_values=False,
        legend_at_bottom=True,
    )
    chart.x_labels = data.categories
    for name, values in data.series.items():
        chart.add(name, values)
    rendered: str = chart.render(is_unicode=True)
    return rendered
