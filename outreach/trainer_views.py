"""Trainer pages: sign-in, seminar sessions (join code and QR, quiz control, scores, per-question
analysis), the roster as CSV, printable certificates, and the queue of seminar requests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from lookup.audit.records import AuditUnavailable, record
from lookup.extensions import state_store
from lookup.qr.keys import KeyStoreError
from lookup.qr.render import QrTooLarge
from outreach import agency_requests, item_analysis, seminars
from outreach.blueprint import bp
from outreach.certificate_codes import certificate_codes
from outreach.join_qr import join_qr_svg, join_url
from outreach.library import current_content
from outreach.roster import roster_csv
from outreach.security import check_csrf
from outreach.trainer_auth import current_trainer, sign_in, sign_out, trainer_required
from outreach.trainers import Trainer, authenticate

_LOGIN_MESSAGES = {
    "bad_credentials": "Unknown username or wrong password.",
    "locked": "Too many failed sign-ins: try again in 15 minutes.",
    "disabled": "This trainer account is disabled.",
}


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/outreach/") and not target.startswith("//"):
        return target
    return url_for("outreach.trainer_home")


def _trainer() -> Trainer:
    trainer = current_trainer()
    if trainer is None:  # trainer_required ran first; this keeps mypy and the reader honest
        abort(401)
    return trainer


def _own_session(session_id: str) -> seminars.Session:
    found = seminars.get_session(state_store(), session_id)
    if found is None:
        abort(404, description="No such session.")
    if found.trainer_id != _trainer().id:
        abort(403, description="This session belongs to another trainer.")
    return found


@bp.route("/trainer/login", methods=["GET", "POST"])
def trainer_login() -> str | BaseResponse | tuple[str, int]:
    if request.method == "GET":
        return render_template("outreach/trainer_login.html", next=request.args.get("next"))
    check_csrf()
    username = request.form.get("username", "")[:64]
    password = request.form.get("password", "")[:256]
    trainer, outcome = authenticate(state_store(), username, password, now=datetime.now(UTC))
    try:
        record(
            None,
            channel="login",
            action="trainer_login",
            query=username,
            outcome="match" if outcome == "ok" else "denied",
            client=request.remote_addr,
            actor=f"trainer:{trainer.id}" if trainer else None,
            detail={"result": outcome},
        )
    except AuditUnavailable:
        abort(503, description="Sign-in is unavailable right now; try again shortly.")
    if outcome != "ok" or trainer is None:
        message = _LOGIN_MESSAGES.get(outcome, "Sign-in failed.")
        page = render_template(
            "outreach/trainer_login.html", error=message, next=request.form.get("next")
        )
        return page, 401
    sign_in(trainer)
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/trainer/logout")
def trainer_logout() -> BaseResponse:
    check_csrf()
    sign_out()
    return redirect(url_for("outreach.index"))


@bp.get("/trainer/")
@trainer_required
def trainer_home() -> str:
    trainer = _trainer()
    content = current_content()
    store = state_store()
    return render_template(
        "outreach/trainer_home.html",
        trainer=trainer,
        sessions=seminars.sessions_of(store, trainer.id),
        decks=content.decks,
        today=date.today().isoformat(),
        new_requests=agency_requests.list_requests(store, "new"),
    )


@bp.post("/trainer/sessions")
@trainer_required
def create_session() -> BaseResponse | tuple[str, int]:
    check_csrf()
    content = current_content()
    form = request.form
    seminar_id = form.get("seminar", "")
    deck = content.decks.get(seminar_id)
    errors: dict[str, str] = {}
    if deck is None:
        errors["seminar"] = "choose a seminar from the list"
    try:
        held_on = date.fromisoformat(form.get("held_on", ""))
    except ValueError:
        errors["held_on"] = "a date as YYYY-MM-DD"
        held_on = date.today()
    hours_text = form.get("hours", "").strip()
    try:
        hours = float(hours_text) if hours_text else (deck.meta.hours if deck else 0.0)
    except ValueError:
        errors["hours"] = "a number of hours, e.g. 1.5"
        hours = 0.0
    if not errors and deck is not None:
        try:
            created = seminars.open_session(
                state_store(),
                trainer_id=_trainer().id,
                seminar=deck.meta.id,
                title=form.get("title", "").strip() or deck.meta.title,
                held_on=held_on,
                hours=hours,
                location=form.get("location", ""),
                questions=content.questions_for(deck.meta.id),
            )
        except seminars.SeminarError as error:
            errors[error.field] = error.message
        else:
            return redirect(url_for("outreach.trainer_session", session_id=created.id))
    trainer = _trainer()
    page = render_template(
        "outreach/trainer_home.html",
        trainer=trainer,
        sessions=seminars.sessions_of(state_store(), trainer.id),
        decks=content.decks,
        today=date.today().isoformat(),
        new_requests=agency_requests.list_requests(state_store(), "new"),
        errors=errors,
        form=form,
    )
    return page, 400


@bp.get("/trainer/sessions/<session_id>")
@trainer_required
def trainer_session(session_id: str) -> str:
    """The trainer's own screen: quiz control, roster, scores and the per-question analysis with
    the answer key. It is never the projected page (see session_projection)."""
    found = _own_session(session_id)
    attendees = seminars.roster(state_store(), found)
    return render_template(
        "outreach/trainer_session.html",
        session=found,
        attendees=attendees,
        stats=seminars.analysis(found, attendees),
        submitted=sum(1 for a in attendees if a.submitted_at),
        join_url=join_url(found.join_code),
    )


@bp.get("/trainer/sessions/<session_id>/projection")
@trainer_required
def session_projection(session_id: str) -> str:
    """What the room sees: the join code, link and QR, then live counts. It holds nothing an
    attendee may not see (no names, no questions, no answers), whatever the session's state."""
    found = _own_session(session_id)
    url = join_url(found.join_code)
    return render_template(
        "outreach/projection.html",
        session=found,
        progress=seminars.progress(state_store(), found),
        join_url=url,
        qr_svg=join_qr_svg(url),
    )


@bp.get("/trainer/sessions/<session_id>/progress.json")
@trainer_required
def session_progress(session_id: str) -> Response:
    """The counts the projection page polls (static/live.js)."""
    found = _own_session(session_id)
    response = jsonify(seminars.progress(state_store(), found).to_json())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/trainer/sessions/<session_id>/status")
@trainer_required
def session_status(session_id: str) -> BaseResponse:
    check_csrf()
    found = _own_session(session_id)
    try:
        seminars.set_status(state_store(), found, request.form.get("status", ""))
    except seminars.SeminarError as error:
        abort(400, description=str(error))
    return redirect(url_for("outreach.trainer_session", session_id=found.id))


@bp.get("/trainer/sessions/<session_id>/roster.csv")
@trainer_required
def roster_export(session_id: str) -> Response:
    found = _own_session(session_id)
    body = roster_csv(found, _trainer().display_name, seminars.roster(state_store(), found))
    filename = f"roster-{found.held_on.isoformat()}-{found.join_code}.csv"
    return current_app.response_class(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/trainer/sessions/<session_id>/certificates")
@trainer_required
def certificates(session_id: str) -> str:
    found = _own_session(session_id)
    content = current_content()
    deck = content.decks.get(found.seminar)
    attendees = seminars.roster(state_store(), found)
    problem = None
    try:
        codes = certificate_codes(found, attendees)
    except KeyStoreError:
        codes, problem = {}, "No QR signing key: run `dipcheck qr keys create`, then print again."
    except QrTooLarge:
        codes, problem = (
            {},
            "The verification link is too long for a QR code: shorten the public URL.",
        )
    return render_template(
        "outreach/certificates.html",
        session=found,
        seminar_title=deck.meta.title if deck else found.title,
        attendees=attendees,
        trainer=_trainer(),
        codes=codes,
        problem=problem,
    )


@bp.get("/trainer/item-analysis")
@trainer_required
def item_analysis_page() -> str:
    stats = item_analysis.item_statistics(item_analysis.all_runs(state_store()))
    return render_template("outreach/item_analysis.html", stats=stats, module=item_analysis)


@bp.get("/trainer/item-analysis.csv")
@trainer_required
def item_analysis_export() -> Response:
    stats = item_analysis.item_statistics(item_analysis.all_runs(state_store()))
    return current_app.response_class(
        item_analysis.item_csv(stats),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="item-analysis.csv"'},
    )


@bp.get("/trainer/requests")
@trainer_required
def trainer_requests() -> str:
    content = current_content()
    return render_template(
        "outreach/trainer_requests.html",
        requests=agency_requests.list_requests(state_store()),
        decks=content.decks,
        statuses=agency_requests.STATUSES,
    )


@bp.post("/trainer/requests/<request_id>")
@trainer_required
def update_request(request_id: str) -> BaseResponse:
    check_csrf()
    store = state_store()
    found = agency_requests.get_request(store, request_id)
    if found is None:
        abort(404, description="No such request.")
    day_text = request.form.get("scheduled_for", "").strip()
    try:
        day = date.fromisoformat(day_text) if day_text else None
    except ValueError:
        abort(400, description="scheduled_for: a date as YYYY-MM-DD")
    try:
        agency_requests.schedule(
            store,
            found,
            status=request.form.get("status", ""),
            scheduled_for=day,
            trainer_id=_trainer().id,
            note=request.form.get("note", ""),
        )
    except agency_requests.RequestInvalid as error:
        abort(400, description=str(error))
    return redirect(url_for("outreach.trainer_requests"))
