"""The incident report form, as the officer web and training mode both show it: its fields, the
words of its choices, and how a filled-in form becomes the API's report body (so a bad field is a
400 naming it, exactly as on the API). Channel-neutral, so training imports no web internals."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import request
from pydantic import ValidationError

from lookup.config import current_settings
from lookup.errors import ApiError
from lookup.incidents.models import IncidentIn

SUBJECT_FIELDS = ("person_id", "credential_number", "license_number", "plate")
KIND_LABELS = {
    "moving_violation": "Moving violation",
    "dui_dwi": "DUI / DWI",
    "crash": "Crash",
    "criminal": "Criminal",
    "parking": "Parking",
    "other": "Other",
}
DECISION_LABELS = {
    "points_assessed": "Points assessed",
    "no_action": "No action",
    "waiver_requested": "Waiver requested",
    "referred": "Referred",
}


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_settings().timezone)


def form_values() -> dict[str, str]:
    """The report form's fields as typed (training mode's form is the same form)."""
    names = (
        "lookup_reference",
        *SUBJECT_FIELDS,
        "occurred_at",
        "kind",
        "citation_number",
        "violation",
        "narrative",
        "immunity_claimed",
        "latitude",
        "longitude",
        "location",
        "badge",
    )
    return {name: request.form.get(name, "").strip()[:4100] for name in names}


def new_form_values() -> dict[str, str]:
    """The fields a new report form opens with: those posted from the answer, and now (the
    agency's local time, to the minute) unless a time was given."""
    values = form_values()
    if not values["occurred_at"]:
        now = datetime.now(local_zone()).replace(second=0, microsecond=0, tzinfo=None)
        values["occurred_at"] = now.isoformat(timespec="minutes")
    return values


def body_from_form(values: dict[str, str]) -> dict[str, Any]:
    """The API body the form stands for (types converted; a bad one is a 400 on its field)."""
    body: dict[str, Any] = {"kind": values["kind"] or None}
    try:
        local = datetime.fromisoformat(values["occurred_at"])
    except ValueError:
        raise ApiError(
            400, "invalid_field", "occurred_at: give a date and time", field="occurred_at"
        ) from None
    body["occurred_at"] = (
        local if local.tzinfo else local.replace(tzinfo=local_zone())
    ).isoformat()
    body["subject"] = {name: values[name] for name in SUBJECT_FIELDS if values[name]}
    for name in ("lookup_reference", "citation_number", "violation", "narrative"):
        if values[name]:
            body[name] = values[name]
    if values["immunity_claimed"] in ("yes", "no"):
        body["immunity_claimed"] = values["immunity_claimed"] == "yes"
    location: dict[str, Any] = {}
    for name in ("latitude", "longitude"):
        if values[name]:
            try:
                location[name] = float(values[name])
            except ValueError:
                raise ApiError(
                    400, "invalid_field", f"{name}: must be a number", field=f"location.{name}"
                ) from None
    if values["location"]:
        location["description"] = values["location"]
    if location:
        body["location"] = location
    if values["badge"]:
        body["reporting_officer"] = {"name": "-", "badge": values["badge"]}
    return body


def incident_from_form(body: dict[str, Any]) -> IncidentIn:
    """The form's report as the API would take it; ApiError 400 naming the first bad field."""
    try:
        return IncidentIn.model_validate(body, strict=False)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "form"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ApiError(400, "invalid_field", f"{field}: {message}", field=field) from None
