"""Sign-in (system-use notice, password, TOTP), first-time authenticator enrolment, sign-out."""

from __future__ import annotations

from flask import Response, current_app, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from lookup.audit.records import AuditUnavailable
from lookup.extensions import state_store
from lookup.http.rate_limits import limiter
from lookup.identity import accounts, sessions
from lookup.web import security
from lookup.web.blueprint import bp, error_page
from lookup.web.guards import check_csrf
from lookup.web.login_flow import LoginResult, attempt_login, audit_login, confirm_enrolment
from lookup.web.mfa import qr_svg, secret_groups

# Per client address, on top of the per-account lockout: slows one device trying many accounts.
LOGIN_RATE_KEY = "WEB_LOGIN_RATE"
DEFAULT_LOGIN_RATE = "20/minute"


def _login_rate() -> str:
    return str(current_app.config.get(LOGIN_RATE_KEY, DEFAULT_LOGIN_RATE))


def _login_rate_key() -> str:
    return f"login:{request.remote_addr}"


def _client() -> str | None:
    return request.remote_addr


def _login_page(
    *,
    status: int = 200,
    error: str | None = None,
    message: str | None = None,
    username: str = "",
    acknowledged: bool = False,
) -> Response:
    token, fresh_nonce = security.login_csrf_token()
    html = render_template(
        "web/login.html",
        csrf_token=token,
        error=error,
        message=message,
        username=username,
        acknowledged=acknowledged,
    )
    response = make_response(html, status)
    if fresh_nonce is not None:
        security.set_login_nonce(response, fresh_nonce)
    return response


@bp.get("/")
def index() -> BaseResponse:
    session = sessions.current_web_session()
    if session is not None:
        return redirect(home_page(session.role))
    return redirect(url_for("web.login"))


def home_page(role: str) -> str:
    """Where a signed-in officer starts: OFM's analysts run no lookups, they review reports."""
    return url_for("web.incidents_page") if role == "analyst" else url_for("web.lookup_form")


@bp.get("/login")
def login() -> Response:
    message = None
    if request.args.get("ended"):
        limits = sessions.timeouts()
        message = (
            f"Your session has ended ({limits.idle.total_seconds() / 60:g} minutes without "
            f"activity or {limits.absolute.total_seconds() / 3600:g} hours since sign-in). "
            "Sign in again."
        )
    elif request.args.get("signed_out"):
        message = "You are signed out."
    return _login_page(message=message)


@bp.post("/login")
@limiter.limit(_login_rate, key_func=_login_rate_key)
def login_submit() -> BaseResponse:
    if not security.login_csrf_valid(request.form.get("csrf_token")):
        return _login_page(status=400, error="The sign-in form had expired. Please try again.")
    username = request.form.get("username", "")[:256]
    password = request.form.get("password", "")[:1024]
    code = request.form.get("code", "")[:32]
    acknowledged = request.form.get("acknowledge") == "yes"
    try:
        if not acknowledged:
            audit_login(
                None,
                username,
                outcome="denied",
                result="banner_not_acknowledged",
                client=_client(),
            )
            return _login_page(
                status=400,
                error="Read the notice and tick “I have read the notice” before signing in.",
                username=username,
            )
        result = attempt_login(username, password, code, now=sessions.now(), client=_client())
    except AuditUnavailable:
        return error_page(
            503, "Cannot sign in now", "Sign-in cannot be recorded now; try again shortly."
        )
    if result.status == "signed_in":
        return _start_session(result, stage="active")
    if result.status == "enrol":
        return _start_session(result, stage="enrol")
    return _login_page(status=401, error=result.message, username=username, acknowledged=True)


def _start_session(result: LoginResult, *, stage: sessions.Stage) -> BaseResponse:
    officer = result.officer
    assert officer is not None  # every signed_in/enrol result names its officer
    agency = accounts.get_agency(state_store(), officer.agency_id)
    store = state_store()
    # This browser's earlier session (an enrolment step, or a sign-in made again) ends here, and
    # so do the officer's sessions that timed out unseen, so the store does not collect them.
    for previous in (sessions.current_web_session(stage="enrol"), sessions.current_web_session()):
        if previous is not None:
            sessions.end_session(store, previous.key)
    sessions.prune_expired(store, officer.id, sessions.now(), sessions.timeouts())
    # A fresh id at every step up (no session fixation); the old cookie is worthless.
    cookie_value, _session = sessions.create_session(
        store,
        officer_id=officer.id,
        agency_id=officer.agency_id,
        agency_name=agency.name if agency else "",
        role=officer.role,
        stage=stage,
        now=sessions.now(),
    )
    target = home_page(officer.role) if stage == "active" else url_for("web.enrol")
    response = redirect(target, code=303)
    sessions.set_session_cookie(response, cookie_value)
    response.delete_cookie(security.LOGIN_NONCE_COOKIE, path="/")
    return response


def _enrolment_session() -> sessions.WebSession | BaseResponse:
    session = sessions.current_web_session(stage="enrol")
    if session is None:
        return redirect(url_for("web.login", ended=1))
    return session


@bp.get("/login/enrol")
def enrol() -> BaseResponse:
    session = _enrolment_session()
    if not isinstance(session, sessions.WebSession):
        return session
    return _enrol_page(session)


def _enrol_page(
    session: sessions.WebSession, *, error: str | None = None, status: int = 200
) -> BaseResponse:
    officer = accounts.get_officer(state_store(), session.officer_id)
    if officer is None:
        return redirect(url_for("web.login", ended=1))
    html = render_template(
        "web/enrol.html",
        qr_svg=qr_svg(officer.provisioning_uri()),
        secret_groups=secret_groups(officer.totp_secret),
        csrf_token=session.csrf_token,
        error=error,
    )
    return make_response(html, status)


@bp.post("/login/enrol")
@limiter.limit(_login_rate, key_func=_login_rate_key)
def enrol_submit() -> BaseResponse:
    session = _enrolment_session()
    if not isinstance(session, sessions.WebSession):
        return session
    check_csrf(session)
    try:
        result = confirm_enrolment(
            session.officer_id, request.form.get("code"), now=sessions.now(), client=_client()
        )
    except AuditUnavailable:
        return error_page(
            503, "Cannot sign in now", "Sign-in cannot be recorded now; try again shortly."
        )
    if result.status == "signed_in":
        return _start_session(result, stage="active")
    if result.status == "failed":
        return _enrol_page(session, error=result.message, status=401)
    sessions.end_session(state_store(), session.key)
    return _login_page(status=401, error=result.message)


@bp.post("/logout")
def logout() -> BaseResponse:
    session = sessions.current_web_session()
    if session is not None:
        check_csrf(session)
        sessions.end_session(state_store(), session.key)
    response = redirect(url_for("web.login", signed_out=1), code=303)
    sessions.clear_session_cookie(response)
    # Tells the browser to drop anything it kept for this site (CJIS 5.13.3).
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
