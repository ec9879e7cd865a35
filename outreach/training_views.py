"""Training mode: the real lookup (run_lookup, the same answer and audit path as every channel)
and the web channel's action-card templates, run against the synthetic training set only.

Every training page carries the TRAINING banner. The principal is a training principal (agency
"training", actor "training:<attendee or visitor>") and the reason is always `training`, so the
audit trail shows these lookups for what they are. The backend passed to run_lookup always comes
from outreach.training_data.training_backend(); this module never touches the app's live backend.
"""

from __future__ import annotations

from typing import Any, Final

from flask import abort, render_template, request, session
from flask_limiter.util import get_remote_address

from lookup.answers.phone_links import tel_href
from lookup.answers.service import InvalidQuery, LookupUnavailable, run_lookup
from lookup.audit.records import AuditUnavailable
from lookup.config import current_settings
from lookup.http.rate_limits import limiter
from lookup.identity.principal import TRAINING_AGENCY_ID, Principal
from lookup.screens.cards import choose_view
from lookup.screens.officer import OfficerScreenUi
from outreach.attendee_views import ATTENDANCE_KEY
from outreach.blueprint import bp
from outreach.library import current_content, placeholders
from outreach.markdown_render import render_markdown
from outreach.security import check_csrf
from outreach.trainer_auth import current_trainer
from outreach.training_data import training_backend

KINDS: Final = {
    "plate": "plate",
    "plate_pattern": "partial plate (? and *)",
    "credential": "State Department ID card number",
    "license": "OFM driver licence number",
    "person": "name",
}


def attendee_id() -> str | None:
    """The attendee this browser joined a session as (the latest, if several), from the
    signed session cookie."""
    attendance = session.get(ATTENDANCE_KEY)
    ids = sorted(attendance.values()) if isinstance(attendance, dict) else []
    return str(ids[-1]) if ids else None


def may_file_reports() -> bool:
    """Whether this trainee may file training incident reports: a signed-in trainer or an
    attendee of a session. A visitor may look up but not file: a report is shown to whoever
    filed it, and every visitor is the one actor `training:visitor`."""
    return current_trainer() is not None or attendee_id() is not None


def training_principal() -> Principal:
    """Who a training lookup is recorded as: never an officer or an API key of an agency."""
    trainer = current_trainer()
    if trainer is not None:
        who = f"trainer-{trainer.id}"
    else:
        attendee = attendee_id()
        who = f"attendee-{attendee}" if attendee else "visitor"
    return Principal(
        agency_id=TRAINING_AGENCY_ID,
        agency_name="Training mode",
        actor=f"training:{who}",
        role="officer",
    )


def _render(status: int = 200, **context: Any) -> tuple[str, int]:
    settings = current_settings()
    context.setdefault("errors", {})
    context.setdefault("form", {"kind": "plate", "q": ""})
    context.setdefault("scenario", None)
    context["may_report"] = may_file_reports()
    scenario = context["scenario"]
    context["situation"] = (
        render_markdown(scenario.situation, placeholders()) if scenario is not None else None
    )
    html = render_template(
        "outreach/training.html",
        training=True,
        ui=OfficerScreenUi(),
        kinds=KINDS,
        verify_phone=settings.verify_phone,
        verify_tel=tel_href(settings.verify_phone),
        **context,
    )
    return html, status


@bp.get("/training/")
def training_home() -> tuple[str, int]:
    return _render(scenarios=list(current_content().scenarios.values()))


@bp.get("/training/scenarios/<scenario_id>")
def training_scenario(scenario_id: str) -> tuple[str, int]:
    found = current_content().scenarios.get(scenario_id)
    if found is None:
        abort(404, description="No scenario with that name.")
    return _render(
        scenario=found,
        form={"kind": found.lookup.kind, "q": found.lookup.value},
    )


@bp.post("/training/lookup")
@limiter.limit("60/minute", key_func=get_remote_address)
def training_lookup() -> tuple[str, int]:
    check_csrf()
    form = {
        "kind": request.form.get("kind", "plate"),
        "q": request.form.get("q", "")[:256],
        "scenario": request.form.get("scenario", ""),
    }
    scenario = current_content().scenarios.get(form["scenario"])
    if form["kind"] not in KINDS:
        return _render(400, form=form, scenario=scenario, errors={"kind": "choose a search type"})
    if not form["q"].strip():
        return _render(400, form=form, scenario=scenario, errors={"q": "type what to search"})
    try:
        result = run_lookup(
            training_principal(),
            channel="web",
            kind=form["kind"],  # type: ignore[arg-type]  # checked against KINDS above
            value=form["q"],
            reason="training",
            client=request.remote_addr,
            params={} if form["kind"] == "person" else None,
            backend=training_backend(),
        )
    except InvalidQuery as error:
        errors = {"q": f"{KINDS[form['kind']]}: {error.message}"}
        return _render(400, form=form, scenario=scenario, errors=errors)
    except (LookupUnavailable, AuditUnavailable):
        abort(503, description="Training lookups are unavailable right now; try again shortly.")
    shown = choose_view(form["kind"], result.body["matches"])
    return _render(form=form, scenario=scenario, body=result.body, shown=shown)
