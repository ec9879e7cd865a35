"""The public seminar-request form, the requester's status page, and the trainers' e-mail.

The requester gets a link to a status page for their request (the request id signed with the
app's secret, so nobody can read another agency's request by guessing ids); trainers see new
requests on their dashboard and, when SMTP is configured, by e-mail (outreach/mail.py)."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response as BaseResponse

from lookup.extensions import state_store
from lookup.http.rate_limits import limiter
from outreach import agency_requests
from outreach.blueprint import bp
from outreach.library import current_content
from outreach.mail import Outgoing, send_to_trainers
from outreach.security import check_csrf


def _form_page(errors: dict[str, str], form: object, sent: bool = False) -> str:
    return render_template(
        "outreach/request.html",
        decks=current_content().decks,
        errors=errors,
        form=form,
        sent=sent,
    )


@bp.get("/request")
def request_form() -> str:
    return _form_page({}, {}, sent=request.args.get("sent") == "1")


@bp.post("/request")
@limiter.limit("10/hour", key_func=get_remote_address)
def request_submit() -> BaseResponse | tuple[str, int]:
    check_csrf()
    raw: dict[str, object] = dict(request.form.to_dict())
    raw["seminars"] = request.form.getlist("seminars")
    raw.pop("csrf_token", None)
    try:
        parsed = agency_requests.validate_form(raw, set(current_content().decks))
    except agency_requests.RequestInvalid as error:
        return _form_page(error.errors, request.form), 400
    saved = agency_requests.submit(state_store(), parsed)
    status_link = url_for("outreach.request_status", token=_status_token(saved.id), _external=True)
    send_to_trainers(_new_request_mail(saved, status_link))
    return redirect(url_for("outreach.request_status", token=_status_token(saved.id), sent="1"))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt="outreach.request-status")


def _status_token(request_id: str) -> str:
    return str(_serializer().dumps(request_id))


@bp.get("/request/status/<token>")
def request_status(token: str) -> str:
    try:
        request_id = _serializer().loads(token)
    except BadSignature:
        abort(404, description="No seminar request behind this link.")
    found = agency_requests.get_request(state_store(), str(request_id))
    if found is None:
        abort(404, description="No seminar request behind this link.")
    return render_template(
        "outreach/request_status.html",
        found=found,
        decks=current_content().decks,
        sent=request.args.get("sent") == "1",
    )


def _new_request_mail(saved: agency_requests.SeminarRequest, status_link: str) -> Outgoing:
    data = saved.data
    decks = current_content().decks
    titles = [decks[s].meta.title if s in decks else s for s in data["seminars"]]
    lines = [
        f"{data['agency']} asks for a seminar.",
        "",
        f"Contact: {data['contact_name']} <{data['contact_email']}>"
        + (f", {data['contact_phone']}" if data.get("contact_phone") else ""),
        f"Attendees: {data['attendees']} ({data['audience']})",
        f"Seminars: {'; '.join(titles)}",
    ]
    if data.get("preferred_dates"):
        lines.append(f"Preferred dates: {data['preferred_dates']}")
    if data.get("location"):
        lines.append(f"Location: {data['location']}")
    if data.get("notes"):
        lines += ["", "Notes:", data["notes"]]
    lines += [
        "",
        f"Schedule or decline it: {url_for('outreach.trainer_requests', _external=True)}",
        f"The requester follows it at: {status_link}",
    ]
    return Outgoing(f"Seminar request: {data['agency']}", "\n".join(lines))
