"""The incident queue as CSV (API `?format=csv` and the analysts' web export): one row per report,
every cell defused like the audit export (lookup/http/csv_safety.py), because narratives, names and
citation numbers are typed by people and the file is opened in spreadsheets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Response

from lookup.http import csv_safety

COLUMNS = (
    "incident_id",
    "status",
    "report_to",
    "agency_name",
    "filed_at",
    "occurred_at",
    "kind",
    "person_id",
    "name",
    "category",
    "immunity_level",
    "country",
    "mission_id",
    "mission_name",
    "plate",
    "lookup_reference",
    "citation_number",
    "violation",
    "immunity_claimed",
    "latitude",
    "longitude",
    "location",
    "reporting_officer",
    "badge",
    "decision",
    "points",
    "assessed_at",
    "narrative",
    "reference",
)


def flat(document: Mapping[str, Any]) -> dict[str, Any]:
    """A report as one flat record of COLUMNS (as typed: not yet defused for spreadsheets)."""
    subject = document["subject"]
    mission = subject.get("mission") or {}
    vehicle = subject.get("vehicle") or {}
    location = document.get("location") or {}
    officer = document["reporting_officer"]
    assessment = document.get("assessment") or {}
    values: dict[str, Any] = {
        **{name: document.get(name) for name in COLUMNS},
        "person_id": subject.get("person_id"),
        "name": subject.get("name"),
        "category": subject.get("category"),
        "immunity_level": subject.get("immunity_level"),
        "country": mission.get("country"),
        "mission_id": mission.get("mission_id"),
        "mission_name": mission.get("name"),
        "plate": vehicle.get("plate"),
        "latitude": location.get("latitude"),
        "longitude": location.get("longitude"),
        "location": location.get("description"),
        "reporting_officer": officer.get("name"),
        "badge": officer.get("badge"),
        "decision": assessment.get("decision"),
        "points": assessment.get("points"),
        "assessed_at": assessment.get("assessed_at"),
    }
    claimed = values["immunity_claimed"]
    values["immunity_claimed"] = None if claimed is None else ("yes" if claimed else "no")
    return values


def row(document: Mapping[str, Any]) -> list[object]:
    values = flat(document)
    return [values[name] for name in COLUMNS]


def csv_response(documents: Iterable[Mapping[str, Any]]) -> Response:
    """The reports as a streamed CSV download."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    rows = (row(document) for document in documents)
    return csv_safety.csv_response(COLUMNS, rows, f"incidents-{stamp}.csv")
