"""The incident routes of the JSON API (DESIGN.md "Incidents and OFM review"):

- `POST /incidents`: a police officer, supervisor or agency key files a report (201).
- `GET /incidents/{incident_id}`: the reporting agency and OFM analysts; anyone else 404.
- `GET /incidents?...[&format=csv]`: a police agency's own reports, or every report for analysts.
- `POST /incidents/{incident_id}/assessment`: analysts only (403 otherwise).

Credentials are checked first (401), then the input (400 naming the field); the work itself is
lookup/incidents/service.py, shared with the web pages.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from spectree import Response as Responses

from lookup.api.params import parse
from lookup.errors import ApiError
from lookup.identity.auth import require_principal
from lookup.incidents.caller import Caller
from lookup.incidents.export import csv_response
from lookup.incidents.models import (
    AssessmentIn,
    IncidentIn,
    IncidentOut,
    IncidentPage,
    IncidentQuery,
)
from lookup.incidents.service import (
    assess_incident,
    check_may_assess,
    export_incidents,
    file_incident,
    get_incident,
    list_incidents,
    parse_body,
)
from lookup.openapi.spec import AUTHENTICATED, ErrorBody, spec

bp = Blueprint("api_incidents", __name__)
TAG = "incidents"
_ERRORS: dict[str, Any] = {
    "HTTP_400": ErrorBody,
    "HTTP_401": ErrorBody,
    "HTTP_403": ErrorBody,
    "HTTP_413": ErrorBody,
    "HTTP_503": ErrorBody,
}


def _caller() -> Caller:
    return Caller(require_principal(), "api", request.remote_addr)


@bp.post("/incidents")
@spec.validate(
    json=IncidentIn,
    resp=Responses(HTTP_201=IncidentOut, **_ERRORS),
    tags=[TAG],
    operation_id="fileIncident",
    security=AUTHENTICATED,
    skip_validation=True,
)
def file() -> Response:
    """File an incident report with OFM (police officers, supervisors and agency keys)."""
    caller = _caller()
    body = parse_body(IncidentIn, request.get_data(cache=False))
    document = file_incident(caller, body)
    response = jsonify(document)
    response.status_code = 201
    response.headers["Location"] = url_for(".incident", incident_id=document["incident_id"])
    return response


@bp.get("/incidents/<incident_id>")
@spec.validate(
    resp=Responses(HTTP_200=IncidentOut, HTTP_404=ErrorBody, **_ERRORS),
    tags=[TAG],
    operation_id="getIncident",
    security=AUTHENTICATED,
    path_parameter_descriptions={"incident_id": "As the filing answered, e.g. IN-7K3MQ-9XA4T."},
    skip_validation=True,
)
def incident(incident_id: str) -> Response:
    """One report: for the agency that filed it and for OFM analysts (anyone else: 404)."""
    return jsonify(get_incident(_caller(), incident_id))


@bp.get("/incidents")
@spec.validate(
    query=IncidentQuery,
    resp=Responses(HTTP_200=IncidentPage, **_ERRORS),
    tags=[TAG],
    operation_id="listIncidents",
    security=AUTHENTICATED,
    skip_validation=True,
)
def incidents() -> Response:
    """Reports, newest incident first, 50 a page: your agency's, or every agency's for OFM
    analysts. `?format=csv` (text/csv, outside this document's JSON models) gives every
    matching report, all pages, as CSV."""
    caller = _caller()
    query = parse(IncidentQuery)
    answer_format = request.args.get("format", "json")
    if answer_format not in ("json", "csv"):
        raise ApiError(400, "invalid_parameter", "format: json or csv", field="format")
    query_text = request.query_string.decode("utf-8", "replace")
    if answer_format == "csv":
        return csv_response(export_incidents(caller, query, query_text))
    return jsonify(list_incidents(caller, query, query_text))


@bp.post("/incidents/<incident_id>/assessment")
@spec.validate(
    json=AssessmentIn,
    resp=Responses(HTTP_200=IncidentOut, HTTP_404=ErrorBody, **_ERRORS),
    tags=[TAG],
    operation_id="assessIncident",
    security=AUTHENTICATED,
    skip_validation=True,
)
def assessment(incident_id: str) -> Response:
    """OFM's decision on a report (analysts only); the report's status becomes `assessed`."""
    caller = _caller()
    check_may_assess(caller, incident_id)  # before the body is read: 403 whatever was sent
    body = parse_body(AssessmentIn, request.get_data(cache=False))
    return jsonify(assess_incident(caller, incident_id, body))
