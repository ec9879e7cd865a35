"""The dashboard's charts, drawn server-side as SVG by pygal (no script runs: the browser loads
them as images), each from the same numbers its page shows in a table beside it."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import pygal
from pygal.style import Style

from lookup.ofm.compliance import COMPLIANT, STATUSES, Compliance
from lookup.rules.insurance import InsuranceRules, insurance_on
from lookup.store.incidents import IncidentFilter, IncidentStore
from search_index.backend import Snapshot
from search_index.records import PolicyGroup

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


def travel_by_regime(snapshot: Snapshot) -> ChartData:
    """Persons under travel control by zone (rows) and regime (series), counted in the store."""
    counts: Counter[tuple[str, str]] = Counter()
    for (zone, regime), persons in snapshot.travel_control_counts().items():
        counts[(zone or "no zone", regime)] += persons
    zones = sorted({zone for zone, _ in counts})
    return ChartData(
        "Persons under travel control by zone and regime",
        zones,
        {
            "Notify": [counts[(z, "notify")] for z in zones],
            "Approval": [counts[(z, "approval")] for z in zones],
        },
    )


def incidents_by_month(incidents: IncidentStore, window: IncidentFilter, as_of: date) -> ChartData:
    """Reports of the 12 months up to `as_of`'s month, by month (rows) and kind (series); the
    kinds are those of every report in `window`, also one of a month before the twelve."""
    months: list[str] = []
    year, month = as_of.year, as_of.month
    for _ in range(12):
        months.insert(0, f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    counts = incidents.reports_by_month(window)
    kinds = sorted({kind for _, kind in counts})
    return ChartData(
        "Incident reports per month by kind",
        months,
        {kind: [counts.get((m, kind), 0) for m in months] for kind in kinds}
        or {"Reports": [0] * 12},
    )


def top_missions(incidents: IncidentStore, window: IncidentFilter, limit: int = 10) -> ChartData:
    """The missions named by the most reports in `window`; on a tie, the one whose latest
    report is latest first."""
    top = incidents.tallies(window, "mission_id", top=limit)
    return ChartData(
        f"The {limit} missions with the most incident reports",
        [f"{t.key} {t.latest.mission_country or ''}".strip() for t in top],
        {"Reports": [t.reports for t in top]},
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
