"""The files analysts load into ArcGIS or Power BI without editing (DESIGN.md: `GET
/api/v1/ofm/exports/{name}`). Records of the published set are read in one pinned snapshot
before anything is sent; incident reports stream from the state store after the audit record.
Mission exports carry each mission's insurance compliance as of today."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response

from lookup.extensions import state_store
from lookup.http.csv_safety import csv_lines, csv_response, download
from lookup.incidents import export as incident_export
from lookup.incidents.caller import Caller
from lookup.incidents.service import incident_json
from lookup.ofm import access, geojson
from lookup.ofm.answers import COMPLIANCE_COLUMNS, compliance_rows
from lookup.ofm.compliance import STATUSES, Compliance, MissionCompliance, compliance
from lookup.store.incidents import IncidentFilter
from search_index.backend import Snapshot
from search_index.records import Mission, Person

EXPORTS: tuple[str, ...] = (
    "missions.geojson",
    "incidents.geojson",
    "missions.csv",
    "incidents.csv",
    "insurance-compliance.csv",
    "travel-controls.csv",
)
ACTION = "ofm_export"

MISSION_COLUMNS: tuple[str, ...] = (
    "mission_id",
    "name",
    "country",
    "mission_type",
    "city",
    "state",
    "phone",
    "latitude",
    "longitude",
    "as_of",
    "vehicles",
    *(f"insurance_{status}" for status in STATUSES),
    "compliant_rate",
)
TRAVEL_COLUMNS: tuple[str, ...] = (
    "person_id",
    "family_name",
    "given_names",
    "category",
    "accreditation_status",
    "mission_id",
    "mission_name",
    "country",
    "travel_control",
    "travel_zone",
    "travel_notice_until",
)


@dataclass(frozen=True, slots=True)
class _Missions:
    missions: list[Mission]
    report: Compliance


def _read_missions(as_of: date) -> Callable[[Snapshot], _Missions]:
    rules = access.insurance_rules()

    def read(snapshot: Snapshot) -> _Missions:
        missions = snapshot.missions()  # read once: every mission is written, and names fleets
        return _Missions(missions, compliance(snapshot, as_of, rules, missions))

    return read


def _read_compliance(as_of: date) -> Callable[[Snapshot], Compliance]:
    rules = access.insurance_rules()
    return lambda snapshot: compliance(snapshot, as_of, rules)


def mission_record(
    mission: Mission, fleet: MissionCompliance | None, as_of: date
) -> dict[str, Any]:
    counts = fleet.by_status if fleet else dict.fromkeys(STATUSES, 0)
    return {
        "mission_id": mission.mission_id,
        "name": mission.name,
        "country": mission.country,
        "mission_type": mission.mission_type,
        "city": mission.city,
        "state": mission.state,
        "phone": mission.phone,
        "latitude": mission.latitude,
        "longitude": mission.longitude,
        "as_of": as_of.isoformat(),
        "vehicles": fleet.vehicles if fleet else 0,
        **{f"insurance_{status}": counts[status] for status in STATUSES},
        "compliant_rate": fleet.compliant_rate if fleet else None,
    }


def _mission_records(found: _Missions) -> Iterator[dict[str, Any]]:
    fleets = {m.mission_id: m for m in found.report.missions}
    for mission in found.missions:
        yield mission_record(mission, fleets.get(mission.mission_id), found.report.as_of)


def _travel_rows(persons: list[Person], missions: dict[str, Mission]) -> Iterator[list[object]]:
    for p in persons:
        mission = missions.get(p.mission_id)
        yield [
            p.person_id,
            p.family_name,
            p.given_names,
            p.category,
            p.accreditation_status,
            p.mission_id,
            mission.name if mission else None,
            mission.country if mission else None,
            p.travel_control,
            p.travel_zone,
            p.travel_notice_until,
        ]


def _travel(snapshot: Snapshot) -> tuple[list[Person], dict[str, Mission]]:
    return snapshot.travel_controlled(), {m.mission_id: m for m in snapshot.missions()}


def _incidents(caller: Caller) -> Iterator[dict[str, Any]]:
    """Every agency's reports as an analyst reads them (the store is read as the file streams)."""
    for document in state_store().incidents.iterate(IncidentFilter()):
        yield incident_export.flat(incident_json(document, caller.principal))


def _incident_features(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for values in records:
        yield geojson.feature(
            values["incident_id"], values["latitude"], values["longitude"], values
        )


def export(caller: Caller, name: str) -> Response:
    """One export, audited (`ofm_export`, the file's name as the query) before it is sent."""
    today = access.today()
    stamp = today.isoformat()
    filename = f"{name.rsplit('.', 1)[0]}-{stamp}.{name.rsplit('.', 1)[1]}"
    if name in ("missions.geojson", "missions.csv"):
        found, _ref, _at = access.read(caller, ACTION, name, _read_missions(today))
        records = _mission_records(found)
        if name == "missions.csv":
            rows = ([r[c] for c in MISSION_COLUMNS] for r in records)
            return csv_response(MISSION_COLUMNS, rows, filename)
        mission_features = (
            geojson.feature(r["mission_id"], r["latitude"], r["longitude"], r) for r in records
        )
        return download(geojson.feature_collection(mission_features), geojson.MEDIA_TYPE, filename)
    if name == "insurance-compliance.csv":
        report, _ref, _at = access.read(caller, ACTION, name, _read_compliance(today))
        return csv_response(COMPLIANCE_COLUMNS, compliance_rows(report), filename)
    if name == "travel-controls.csv":
        (persons, missions), _ref, _at = access.read(caller, ACTION, name, _travel)
        return csv_response(TRAVEL_COLUMNS, _travel_rows(persons, missions), filename)
    # incidents.csv and incidents.geojson: from the state store, audited before it is read.
    caller.audit(ACTION, name, "match")
    if name == "incidents.csv":
        return download(
            csv_lines(
                incident_export.COLUMNS,
                ([r[c] for c in incident_export.COLUMNS] for r in _incidents(caller)),
            ),
            "text/csv; charset=utf-8",
            filename,
        )
    features = _incident_features(_incidents(caller))
    return download(geojson.feature_collection(features), geojson.MEDIA_TYPE, filename)
