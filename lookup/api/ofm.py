"""The OFM analyst workspace routes of the JSON API (DESIGN.md "OFM analyst workspace"):

- `GET /ofm/insurance-compliance?as_of=[&format=csv]`: every mission's fleet by insurance status.
- `GET /ofm/insurance-compliance/{mission_id}?as_of=`: the vehicles a mission must act on.
- `GET /ofm/exports/{name}`: the GIS and BI files (lookup/ofm/exports.py).
- `GET /ofm/flags?as_of=`: OFM's internal review list (lookup/ofm/flags.py).

Credentials first (401), then the role (403, audited), then the input (400 naming the field).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from spectree import Response as Responses

from lookup.api.params import parse
from lookup.config import current_settings
from lookup.errors import ApiError
from lookup.extensions import state_store
from lookup.http.csv_safety import csv_response
from lookup.identity.auth import require_principal
from lookup.incidents.caller import Caller
from lookup.ofm import access
from lookup.ofm.answers import (
    COMPLIANCE_COLUMNS,
    compliance_json,
    compliance_rows,
    flags_json,
    mission_vehicles_json,
)
from lookup.ofm.compliance import VehicleToFix, compliance, to_fix
from lookup.ofm.exports import ACTION, EXPORTS, export
from lookup.ofm.flags import incident_window, long_lapsed, repeated
from lookup.ofm.models import (
    ComplianceOut,
    ComplianceQuery,
    FlagsOut,
    MissionVehiclesOut,
    MissionVehiclesQuery,
)
from lookup.openapi.spec import AUTHENTICATED, ErrorBody, spec
from lookup.store.base import StoreError
from search_index.backend import Snapshot
from search_index.records import Mission

bp = Blueprint("api_ofm", __name__)
TAG = "ofm"
FLAGS_ACTION = "ofm_flags"
_ERRORS: dict[str, Any] = {
    "HTTP_400": ErrorBody,
    "HTTP_401": ErrorBody,
    "HTTP_403": ErrorBody,
    "HTTP_503": ErrorBody,
}


def _analyst(action: str) -> Caller:
    return access.analyst(require_principal(), "api", request.remote_addr, action)


def _query_text() -> str:
    return request.query_string.decode("utf-8", "replace")


@bp.get("/ofm/insurance-compliance")
@spec.validate(
    query=ComplianceQuery,
    resp=Responses(HTTP_200=ComplianceOut, **_ERRORS),
    tags=[TAG],
    operation_id="getInsuranceCompliance",
    security=AUTHENTICATED,
    skip_validation=True,
)
def insurance_compliance() -> Response:
    """Every mission's vehicles counted by insurance status as of a day, with the share that
    complies (OFM analysts only). Missions without vehicles are left out. `?format=csv` gives
    the same rows as CSV (outside this document's JSON models)."""
    caller = _analyst("ofm_compliance")
    query = parse(ComplianceQuery)
    as_of = query.as_of or access.today()
    rules = access.insurance_rules()
    report, reference, published = access.read(
        caller,
        "ofm_compliance",
        f"as_of={as_of.isoformat()}&format={query.format}",
        lambda snapshot: compliance(snapshot, as_of, rules),
    )
    if query.format == "csv":
        name = f"insurance-compliance-{as_of.isoformat()}.csv"
        return csv_response(COMPLIANCE_COLUMNS, compliance_rows(report), name)
    return jsonify(compliance_json(report, access.iso_utc(published), reference))


@bp.get("/ofm/insurance-compliance/<mission_id>")
@spec.validate(
    query=MissionVehiclesQuery,
    resp=Responses(HTTP_200=MissionVehiclesOut, HTTP_404=ErrorBody, **_ERRORS),
    tags=[TAG],
    operation_id="getMissionInsuranceCompliance",
    security=AUTHENTICATED,
    skip_validation=True,
)
def mission_compliance(mission_id: str) -> Response:
    """The vehicles of one mission's fleet (its own and its members') that are lapsed, without
    a policy, below the minimum, not yet insured or expiring, most urgent first (OFM analysts
    only); 404 for an unknown mission."""
    caller = _analyst("ofm_mission_compliance")
    query = parse(MissionVehiclesQuery)
    as_of = query.as_of or access.today()
    rules = access.insurance_rules()
    mission_id = mission_id[:64]

    def work(snapshot: Snapshot) -> tuple[Mission | None, list[VehicleToFix]]:
        mission = snapshot.get_mission(mission_id)
        return mission, [] if mission is None else to_fix(snapshot, mission_id, as_of, rules)

    (mission, vehicles), reference, published = access.read(
        caller,
        "ofm_mission_compliance",
        f"mission_id={mission_id}&as_of={as_of.isoformat()}",
        work,
        outcome=lambda found: "match" if found[0] is not None else "no_match",
    )
    if mission is None:
        raise ApiError(404, "not_found", "no mission with this id in the published records")
    return jsonify(
        mission_vehicles_json(
            mission, vehicles, as_of.isoformat(), access.iso_utc(published), reference
        )
    )


@bp.get("/ofm/exports/<name>")
@spec.validate(
    resp=Responses(HTTP_200=None, HTTP_404=ErrorBody, **_ERRORS),
    tags=[TAG],
    operation_id="getOfmExport",
    security=AUTHENTICATED,
    skip_validation=True,
)
def ofm_export(name: str) -> Response:
    """A file for GIS and BI tools (OFM analysts only): `missions.geojson`, `incidents.geojson`
    (RFC 7946, longitude first, flat properties), `missions.csv`, `incidents.csv`,
    `insurance-compliance.csv`, `travel-controls.csv` (UTF-8, header row, ISO dates, cells
    defused for spreadsheets). Mission files carry today's insurance compliance. 404 for any
    other name."""
    caller = _analyst(ACTION)
    if name not in EXPORTS:
        raise ApiError(404, "not_found", f"no export of this name; one of {', '.join(EXPORTS)}")
    return export(caller, name)


@bp.get("/ofm/flags")
@spec.validate(
    query=MissionVehiclesQuery,
    resp=Responses(HTTP_200=FlagsOut, **_ERRORS),
    tags=[TAG],
    operation_id="getOfmReviewFlags",
    security=AUTHENTICATED,
    skip_validation=True,
)
def review_flags() -> Response:
    """OFM's internal review list as of a day (OFM analysts only): persons and missions with
    two or more incident reports in the 365 days up to it, and vehicles lapsed more than 30
    days."""
    caller = _analyst(FLAGS_ACTION)
    query = parse(MissionVehiclesQuery)
    as_of = query.as_of or access.today()
    rules = access.insurance_rules()
    query_text = f"as_of={as_of.isoformat()}"
    vehicles, reference, published = access.read(
        caller, FLAGS_ACTION, query_text, lambda snapshot: long_lapsed(snapshot, as_of, rules)
    )
    window = incident_window(as_of, current_settings().zone())
    try:
        persons, missions = repeated(state_store().incidents, window)
    except StoreError:
        raise ApiError(
            503, "unavailable", "incident reports cannot be reached now; try again later"
        ) from None
    return jsonify(
        flags_json(as_of, access.iso_utc(published), reference, persons, missions, vehicles)
    )
