"""Incident reports in training mode: after a training answer, "Report an incident" opens the
officer web's own report form (marked TRAINING), and the report is filed by the same service as
a live one (lookup/incidents/service.py) with the training principal and the training data set,
so it lands in the training incident store only and names synthetic people only.

- `POST /outreach/training/incidents/new`: the form, holding the answer's reference and subject.
- `POST /outreach/training/incidents`: file it (400 naming the field, nothing stored, on bad input).
- `GET /outreach/training/incidents`: the trainee's own training reports and their status.
- `GET /outreach/training/incidents/<id>`: one of them.

Trainers and session attendees file; a visitor (no session joined) is refused (see
`may_file_reports`). The reporting officer is the trainee: the trainer's or attendee's name.
"""

from __future__ import annotations

from typing import Any

from flask import abort, make_response, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from pydantic import ValidationError
from werkzeug.wrappers import Response

from lookup.errors import ApiError
from lookup.extensions import state_store
from lookup.http.rate_limits import limiter
from lookup.incidents.caller import Caller
from lookup.incidents.form import (
    DECISION_LABELS,
    KIND_LABELS,
    SUBJECT_FIELDS,
    body_from_form,
    form_values,
    incident_from_form,
    new_form_values,
)
from lookup.incidents.models import IncidentQuery
from lookup.incidents.service import file_incident, get_incident, list_incidents
from outreach import seminars
from outreach.blueprint import bp
from outreach.security import check_csrf
from outreach.trainer_auth import current_trainer
from outreach.training_data import training_backend
from outreach.training_views import attendee_id, may_file_reports, training_principal

_JOIN_FIRST = (
    "Join a training session with its code (or sign in as a trainer) to practise reporting "
    "an incident."
)


def _caller() -> Caller:
    if not may_file_reports():
        abort(403, description=_JOIN_FIRST)
    return Caller(
        training_principal(), "web", request.remote_addr, training_backend=training_backend()
    )


def _reporter_name() -> str:
    """The trainee filing: the signed-in trainer, else the attendee this browser joined as."""
    trainer = current_trainer()
    if trainer is not None:
        return trainer.display_name
    joined = attendee_id()
    attendee = seminars.get_attendee(state_store(), joined) if joined else None
    if attendee is None:
        abort(403, description=_JOIN_FIRST)
    return attendee.name


def _page(template: str, status: int = 200, **context: Any) -> Response:
    html = render_template(
        template,
        training=True,
        kinds=KIND_LABELS,
        decisions=DECISION_LABELS,
        subject_fields=SUBJECT_FIELDS,
        **context,
    )
    return make_response(html, status)


def _form_page(values: dict[str, str], status: int = 200, **error: str | None) -> Response:
    return _page("outreach/training_incident_form.html", status, values=values, **error)


@bp.post("/training/incidents/new")
@limiter.limit("60/minute", key_func=get_remote_address)
def training_incident_new() -> Response:
    check_csrf()
    if not may_file_reports():
        abort(403, description=_JOIN_FIRST)
    return _form_page(new_form_values())


@bp.post("/training/incidents")
@limiter.limit("60/minute", key_func=get_remote_address)
def training_incident_file() -> Response:
    check_csrf()
    values = form_values()
    caller = _caller()
    officer = {"name": _reporter_name(), "badge": values["badge"] or None}
    try:
        body = incident_from_form({**body_from_form(values), "reporting_officer": officer})
        document = file_incident(caller, body)
    except ApiError as error:
        if error.status == 400:
            return _form_page(values, 400, error=error.message, error_field=error.field)
        abort(error.status, description=error.message)
    target = url_for("outreach.training_incident_page", incident_id=document["incident_id"])
    return redirect(target, 303)


@bp.get("/training/incidents")
def training_incidents() -> Response:
    caller = _caller()
    try:
        query = IncidentQuery.model_validate({"page": request.args.get("page", "1")})
    except ValidationError:
        abort(400, description="page: a page number from 1 to 200")
    try:
        listed = list_incidents(caller, query, request.query_string.decode("utf-8", "replace"))
    except ApiError as error:
        abort(error.status, description=error.message)
    return _page("outreach/training_incidents.html", page=listed)


@bp.get("/training/incidents/<incident_id>")
def training_incident_page(incident_id: str) -> Response:
    caller = _caller()
    try:
        report = get_incident(caller, incident_id)
    except ApiError as error:
        abort(error.status, description=error.message)
    return _page("outreach/training_incident.html", report=report)
