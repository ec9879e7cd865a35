"""Attendee pages: join a session by code or QR (no account), wait for the quiz, answer it, see
the result with explanations."""

from __future__ import annotations

from flask import Response, abort, jsonify, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response as BaseResponse

from lookup.extensions import state_store
from lookup.http.rate_limits import limiter
from outreach import seminars
from outreach.blueprint import bp
from outreach.security import check_csrf

ATTENDANCE_KEY = "outreach_attendance"  # session id -> attendee id, in the signed cookie


def _attendance() -> dict[str, str]:
    value = session.get(ATTENDANCE_KEY)
    return dict(value) if isinstance(value, dict) else {}


def _join_page(code: str = "", errors: dict[str, str] | None = None, form: object = None) -> str:
    return render_template("outreach/join.html", code=code, errors=errors or {}, form=form or {})


@bp.get("/join")
def join_form() -> str:
    return _join_page(request.args.get("code", "")[:12])


@bp.get("/join/<code>")
def join_with_code(code: str) -> str:
    return _join_page(seminars.normalize_code(code)[:12])


# A whole class joins from one address within a minute or two; guessing codes needs far more.
@bp.post("/join")
@limiter.limit("120/minute", key_func=get_remote_address)
def join_submit() -> BaseResponse | tuple[str, int]:
    check_csrf()
    form = request.form
    code = seminars.normalize_code(form.get("code", ""))[:12]
    store = state_store()
    found = seminars.find_by_code(store, code) if code else None
    if found is None:
        return _join_page(code, {"code": "no open session has this code"}, form), 400
    try:
        attendee = seminars.join(
            store,
            found,
            name=form.get("name", ""),
            agency=form.get("agency", ""),
            badge=form.get("badge", ""),
        )
    except seminars.SeminarError as error:
        return _join_page(code, {error.field: error.message}, form), 400
    attendance = _attendance()
    attendance[found.id] = attendee.id
    session[ATTENDANCE_KEY] = attendance
    return redirect(url_for("outreach.attend", session_id=found.id))


def _me(session_id: str) -> tuple[seminars.Session, seminars.Attendee]:
    store = state_store()
    found = seminars.get_session(store, session_id)
    attendee_id = _attendance().get(session_id)
    attendee = seminars.get_attendee(store, attendee_id) if attendee_id else None
    if found is None or attendee is None or attendee.session_id != found.id:
        abort(403, description="Join the session with its code first.")
    return found, attendee


def _state(session: seminars.Session, attendee: seminars.Attendee) -> str:
    """What the attendee's screen shows, in one word pair: it changes exactly when the screen
    must (quiz opens or closes, the answers went in)."""
    return f"{session.status}/{'answered' if attendee.submitted_at else 'waiting'}"


def _attend_page(
    found: seminars.Session, attendee: seminars.Attendee, errors: dict[str, str]
) -> str:
    return render_template(
        "outreach/attend.html",
        session=found,
        attendee=attendee,
        score=attendee.score(found.questions),
        state=_state(found, attendee),
        errors=errors,
    )


@bp.get("/attend/<session_id>")
def attend(session_id: str) -> str:
    found, attendee = _me(session_id)
    return _attend_page(found, attendee, {})


@bp.get("/attend/<session_id>/status.json")
def attend_status(session_id: str) -> Response:
    """Polled by static/live.js every few seconds: small, and nothing the page does not show."""
    found, attendee = _me(session_id)
    response = jsonify({"state": _state(found, attendee), "status": found.status})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/attend/<session_id>/answers")
def submit_answers(session_id: str) -> BaseResponse | tuple[str, int]:
    check_csrf()
    found, attendee = _me(session_id)
    answers = {
        question.id: request.form[f"q-{question.id}"]
        for question in found.questions
        if request.form.get(f"q-{question.id}")
    }
    try:
        seminars.submit_answers(state_store(), found, attendee, answers)
    except seminars.SeminarError as error:
        return _attend_page(found, attendee, {error.field: error.message}), 400
    return redirect(url_for("outreach.attend", session_id=found.id))
