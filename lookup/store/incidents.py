"""The incident-report section of the state store (DESIGN.md "Incidents and OFM review").

An incident report is one JSON document, written whole in one operation (never half-stored), plus
the few fields the OFM queue filters and the licence-points sum read, which each backend keeps
as indexed columns or keyword fields beside the document. `index_fields` derives those fields from
the document, once, for both backends, so the two cannot disagree on what a filter matches.

Order: newest incident first (by when it occurred, then by id), on every read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, Protocol

from lookup.store.base import Document, iso_millis

POINTS_DECISION = "points_assessed"
# A page's total is counted up to this many and one more (more means "more than COUNT_LIMIT"):
# counting every one of 100,000 reports for each queue page would cost more than the page.
# Elasticsearch counts the same way (`track_total_hits`).
COUNT_LIMIT = 10_000
# What sets training mode's reports apart from the live ones: each backend keeps them in the same
# kind of incident store under this name (SQLite: the file `training-<state file>` beside the
# live one; Elasticsearch: the index `<prefix>-training-incidents`), so no read of the live
# reports (queue, export, licence points) can meet a synthetic one, and no training read a live one.
TRAINING_APART = "training"


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    """Every given field must match. `country` is compared case-insensitively; `since`/`until`
    bound when the incident occurred (inclusive / exclusive)."""

    agency_id: str | None = None
    status: str | None = None
    kind: str | None = None
    country: str | None = None
    mission_id: str | None = None
    person_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def equalities(self) -> list[tuple[str, str]]:
        """The indexed fields the given values must equal, by their index names (`country` as
        its key), so both engines match the same fields in the same way."""
        pairs = (
            ("agency_id", self.agency_id),
            ("status", self.status),
            ("kind", self.kind),
            ("country_key", country_key(self.country) if self.country else None),
            ("mission_id", self.mission_id),
            ("person_id", self.person_id),
        )
        return [(name, value) for name, value in pairs if value is not None]


@dataclass(frozen=True, slots=True)
class IncidentIndex:
    """What a backend indexes of one report."""

    incident_id: str
    agency_id: str
    status: str
    kind: str
    country_key: str | None
    mission_id: str | None
    person_id: str | None
    occurred_at: str  # UTC, milliseconds, Z: sorts as text in time order
    occurred_on: str  # the calendar day as the officer gave it (their own offset), YYYY-MM-DD
    points: int | None  # the points of a `points_assessed` decision, else None
    assessed_at: str | None  # UTC, milliseconds, Z


def country_key(country: str) -> str:
    return " ".join(country.casefold().split())


def index_fields(document: Mapping[str, Any]) -> IncidentIndex:
    subject = document["subject"]
    mission = subject.get("mission") or {}
    occurred = datetime.fromisoformat(document["occurred_at"])
    assessment = document.get("assessment")
    points: int | None = None
    assessed_at: str | None = None
    if assessment is not None:
        assessed_at = assessment["assessed_at"]
        if assessment["decision"] == POINTS_DECISION:
            points = int(assessment["points"])
    country = mission.get("country")
    return IncidentIndex(
        incident_id=document["incident_id"],
        agency_id=document["agency_id"],
        status=document["status"],
        kind=document["kind"],
        country_key=country_key(country) if country else None,
        mission_id=mission.get("mission_id"),
        person_id=subject.get("person_id"),
        occurred_at=iso_millis(occurred),
        occurred_on=occurred.date().isoformat(),
        points=points,
        assessed_at=assessed_at,
    )


# What a person or mission is counted by in `tallies`: the indexed field, same name in both engines.
TallyBy = Literal["person_id", "mission_id"]
# The fields of a report's document that a tally shows of its latest report (dotted paths): both
# engines read only these of that one report, never the whole document.
LATEST_FIELDS = ("occurred_at", "subject.name", "subject.mission")


@dataclass(frozen=True, slots=True)
class LatestReport:
    """What the OFM flags and charts show of the latest report naming a person or mission:
    latest by when it occurred (an instant), then by incident id, the order of every read."""

    incident_id: str
    occurred_at: str  # as the report gives it, in the officer's own offset
    subject_name: str | None
    mission_id: str | None
    mission_name: str | None
    mission_country: str | None


@dataclass(frozen=True, slots=True)
class Tally:
    """How many matching reports name one person or one mission, and the latest of them."""

    key: str
    reports: int
    latest: LatestReport


def latest_report(incident_id: str, fields: Mapping[str, Any]) -> LatestReport:
    """A LatestReport from the LATEST_FIELDS of a report, nested as in the document (a backend
    reads just these). `subject.mission` may come as the JSON text SQLite extracts."""
    subject = fields.get("subject") or {}
    mission = subject.get("mission")
    if isinstance(mission, str):
        mission = json.loads(mission)
    mission = mission or {}
    return LatestReport(
        incident_id=incident_id,
        occurred_at=str(fields["occurred_at"]),
        subject_name=subject.get("name"),
        mission_id=mission.get("mission_id"),
        mission_name=mission.get("name"),
        mission_country=mission.get("country"),
    )


def utc_text(moment: datetime) -> str:
    """A filter bound as the indexes keep times."""
    return iso_millis(moment.astimezone(UTC))


class IncidentStore(Protocol):
    def add(self, document: Document) -> None:
        """Store a new report whole, under its `incident_id`. Raises DuplicateKey (id taken),
        StoreUnavailable; on any error nothing is stored."""

    def get(self, incident_id: str) -> tuple[int, Document] | None:
        """(version, document), or None."""

    def replace(self, incident_id: str, document: Document, *, expect_version: int) -> int:
        """Write the whole changed document if nobody wrote since `expect_version`; returns the
        new version. Raises KeyError, VersionConflict, StoreUnavailable."""

    def page(
        self, filter: IncidentFilter, *, offset: int, limit: int
    ) -> tuple[list[Document], int]:
        """The matching reports from `offset`, at most `limit`, and how many match in all, counted
        up to COUNT_LIMIT + 1."""

    def iterate(self, filter: IncidentFilter) -> Iterator[Document]:
        """Every matching report (an export), streamed."""

    def reported_points(
        self, person_ids: Sequence[str], *, assessed_after: datetime, occurred_from: date
    ) -> dict[str, int]:
        """Per person, the sum of points assessed after `assessed_after` for incidents that
        occurred on or after `occurred_from` (persons with none are left out)."""

    def reports_by_month(self, filter: IncidentFilter) -> dict[tuple[str, str], int]:
        """How many matching reports there are per (month, kind), counted in the store; the
        month (YYYY-MM) is that of the day the report occurred as the officer gave it
        (`occurred_on`, their own offset), as every other read of that day."""

    def tallies(
        self, filter: IncidentFilter, by: TallyBy, *, at_least: int = 1, top: int | None = None
    ) -> list[Tally]:
        """Per value of `by` (reports without one are left out), how many matching reports name
        it and the latest of them, counted in the store; only those with at least `at_least`
        reports, most reports first, then the one whose latest report is latest (when it
        occurred, then incident id); the first `top` of them when given."""

    def assessments_mark(self) -> str:
        """A short text that changes whenever an assessment is recorded or replaced: how many
        reports are assessed, and the latest assessment's time and report id. Cheap (one index
        read), so caches of answers that show points can poll it. Raises StoreUnavailable."""
