"""Incident reports on the officer web (DESIGN.md "Incidents and OFM review"):

- After an answer, "Report an incident" posts the answer's reference and subject to
  `POST /incidents/new`, which shows a short form already holding them (a POST, like lookups, so
  plates and numbers stay out of URLs, history and access logs).
- `POST /incidents` files the report (the same checks as the API: lookup/incidents/service.py).
- `GET /incidents`: the agency's reports and their status; for OFM analysts, the queue of every
  agency's reports with filters (status, kind, country, mission, dates) and its CSV export.
- `GET /incidents/<id>`: one report; analysts also get the assessment form
  (`POST /incidents/<id>/assessment`).

Plain HTML forms: no script, so the strict CSP holds and the pages work without JavaScript.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Response, make_response, redirect, render_template, request, url_for
from pydantic import ValidationError
from werkzeug.wrappers import Response as BaseResponse

from lookup.errors import ApiError
from lookup.identity import sessions
from lookup.identity.principal import Principal
from lookup.incidents.caller import Caller
from lookup.incidents.export import csv_response
from lookup.incidents.form import (
    DECISION_LABELS,
    KIND_LABELS,
    SUBJECT_FIELDS,
    body_from_form,
    form_values,
    incident_from_form,
    local_zone,
    new_form_values,
)
from lookup.incidents.models import DECISIONS, AssessmentIn, IncidentQuery
from lookup.incidents.service import (
    assess_incident,
    check_may_assess,
    export_incidents,
    file_incident,
    get_incident,
    list_incidents,
)
from lookup.web.blueprint import bp, error_page
from lookup.web.guards import signed_in


def _principal() -> Principal:
    principal = sessions.current_web_principal()
    assert principal is not None  # signed_in() guarantees a live session
    return principal


def _caller() -> Caller:
    return Caller(_principal(), "web", request.remote_addr)


def _form_page(
    values: dict[str, str], *, error: str | None = None, field: str | None = None, status: int = 200
) -> Response:
    html = render_template(
        "web/incident_form.html",
        values=values,
        kinds=KIND_LABELS,
        subject_fields=SUBJECT_FIELDS,
        error=error,
        error_field=field,
    )
    return make_response(html, status)


def _refused(error: ApiError) -> Response:
    return error_page(
        error.status, "Not allowed" if error.status == 403 else "Cannot do this", error.message
    )


@bp.post("/incidents/new")
@signed_in()
def incident_new() -> Response:
    """The report form, holding the reference and subject of the answer it was opened from."""
    if _principal().is_analyst:
        return error_page(403, "Not allowed", "Analysts review reports; officers file them.")
    return _form_page(new_form_values())


@bp.post("/incidents")
@signed_in()
def incident_file() -> BaseResponse:
    values = form_values()
    try:
        document = file_incident(_caller(), incident_from_form(body_from_form(values)))
    except ApiError as error:
        if error.status == 400:
            return _form_page(values, error=error.message, field=error.field, status=400)
        return _refused(error)
    return redirect(url_for("web.incident_page", incident_id=document["incident_id"]), 303)


def _query_from_args() -> IncidentQuery:
    """The queue's filters; dates are whole days of the agency's zone."""
    zone = local_zone()
    args = request.args
    values: dict[str, Any] = {
        name: args.get(name, "").strip() or None
        for name in ("status", "kind", "country", "mission_id", "person_id")
    }
    for name, shift in (("since", 0), ("until", 1)):
        raw = args.get(name, "").strip()
        if raw:
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                raise ApiError(
                    400, "invalid_parameter", f"{name}: YYYY-MM-DD", field=name
                ) from None
            values[name] = datetime.combine(day + timedelta(days=shift), time(), zone)
    page = args.get("page", "1")
    values["page"] = int(page) if page.isdigit() else 1
    try:
        return IncidentQuery.model_validate(values)
    except ValidationError as error:
        field = ".".join(str(part) for part in error.errors()[0]["loc"])
        raise ApiError(
            400, "invalid_parameter", f"{field}: not a valid filter", field=field
        ) from None


@bp.get("/incidents")
@signed_in()
def incidents_page() -> Response:
    caller = _caller()
    try:
        query = _query_from_args()
        query_text = request.query_string.decode("utf-8", "replace")
        if request.args.get("format") == "csv":
            return csv_response(export_incidents(caller, query, query_text))
        page = list_incidents(caller, query, query_text)
    except ApiError as error:
        return _refused(error)
    html = render_template(
        "web/incidents.html",
        page=page,
        analyst=caller.principal.is_analyst,
        filters={k: v for k, v in request.args.items() if k not in ("page", "format")},
        kinds=KIND_LABELS,
        decisions=DECISION_LABELS,
    )
    return make_response(html)


@bp.get("/incidents/<incident_id>")
@signed_in()
def incident_page(incident_id: str) -> Response:
    caller = _caller()
    try:
        report = get_incident(caller, incident_id)
    except ApiError as error:
        return _refused(error)
    return _incident_page(report, caller.principal)


def _incident_page(
    report: dict[str, Any], principal: Principal, *, error: str | None = None, status: int = 200
) -> Response:
    html = render_template(
        "web/incident.html",
        report=report,
        analyst=principal.is_analyst,
        kinds=KIND_LABELS,
        decisions=DECISION_LABELS,
        decision_codes=DECISIONS,
        error=error,
    )
    return make_response(html, status)


@bp.post("/incidents/<incident_id>/assessment")
@signed_in()
def incident_assess(incident_id: str) -> BaseResponse:
    caller = _caller()
    form = request.form
    points = form.get("points", "").strip()
    raw: dict[str, Any] = {
        "decision": form.get("decision") or None,
        "points": int(points) if points.isdigit() else (points or None),
        "note": form.get("note", "").strip()[:2100] or None,
    }
    try:
        check_may_assess(caller, incident_id)
        try:
            body = AssessmentIn.model_validate(raw, strict=False)
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "decision"
            message = str(first["msg"]).removeprefix("Value error, ")
            raise ApiError(400, "invalid_field", f"{field}: {message}", field=field) from None
        assess_incident(caller, incident_id, body)
    except ApiError as error:
        if error.status != 400:
            return _refused(error)
        report = get_incident(caller, incident_id)
        return _incident_page(report, caller.principal, error=error.message, status=400)
    return redirect(url_for("web.incident_page", incident_id=incident_id), 303)
