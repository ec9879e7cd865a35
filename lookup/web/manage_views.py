"""Supervisor and admin pages.

Supervisors see their own agency only: its audit trail (filters, CSV export) and its officers
(unlock after a lockout, disable, enable). Asking for another agency's records is a 403, never an
empty list. Admins see every agency, and manage agencies, API keys and officers.

Every change made here is written to the operational log with ids only (who did what to whom).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import get_args

from flask import Response, abort, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from lookup.audit.admin import audit_page
from lookup.audit.records import AuditUnavailable, records
from lookup.extensions import state_store
from lookup.http.csv_safety import csv_response
from lookup.identity import accounts, enrolment, officer_admin, phones, sessions
from lookup.identity.principal import SUPERVISOR_ROLES
from lookup.identity.sessions import WebSession
from lookup.store.audit_record import CSV_COLUMNS, csv_cells
from lookup.store.base import AuditFilter, AuditRecord, Channel, Outcome
from lookup.web.blueprint import bp
from lookup.web.guards import ADMIN_ROLES, require_session, signed_in

log = logging.getLogger(__name__)

PAGE_ROWS = 200
# The lookup channels, and `cli` for the administrative commands (lookup/audit/admin.py).
CHANNELS: tuple[str, ...] = (*get_args(Channel), "cli")
OUTCOMES: tuple[str, ...] = get_args(Outcome)


class FormError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _agency_in_scope(session: WebSession, requested: str | None) -> str | None:
    """The agency a page shows: the supervisor's own; for an admin, the one asked for (None:
    all). A supervisor naming another agency gets a 403."""
    if session.role == "admin":
        return requested or None
    if requested and requested != session.agency_id:
        abort(403)
    return session.agency_id


# -- audit trail -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditQuery:
    agency: str = ""
    since: str = ""
    until: str = ""
    channel: str = ""
    outcome: str = ""
    actor: str = ""

    @classmethod
    def from_args(cls) -> AuditQuery:
        args = request.args
        return cls(**{name: args.get(name, "").strip()[:128] for name in cls.__slots__})

    def to_filter(self, agency_id: str | None, limit: int | None) -> AuditFilter:
        since = _day(self.since, "since")
        until = _day(self.until, "until")
        if self.channel and self.channel not in CHANNELS:
            raise FormError("channel", f"must be one of {', '.join(CHANNELS)}")
        if self.outcome and self.outcome not in OUTCOMES:
            raise FormError("outcome", f"must be one of {', '.join(OUTCOMES)}")
        return AuditFilter(
            agency_id=agency_id,
            since=datetime.combine(since, time.min, UTC) if since else None,
            # The whole "until" day is included.
            until=datetime.combine(until + timedelta(days=1), time.min, UTC) if until else None,
            channel=self.channel or None,
            outcome=self.outcome or None,
            actor=self.actor or None,
            limit=limit,
        )


def _day(raw: str, field: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FormError(field, "must be a date as YYYY-MM-DD") from None


@bp.get("/supervisor/audit")
@signed_in(*SUPERVISOR_ROLES)
def audit_trail() -> Response:
    session = require_session()
    query = AuditQuery.from_args()
    agency_id = _agency_in_scope(session, query.agency)
    want_csv = request.args.get("format") == "csv"
    try:
        audit_filter = query.to_filter(agency_id, None if want_csv else PAGE_ROWS)
    except FormError as error:
        return _audit_page(session, query, agency_id, [], error=error, status=400)
    if want_csv:
        return _csv_response(records(audit_filter))
    return _audit_page(session, query, agency_id, list(records(audit_filter)))


def _audit_page(
    session: WebSession,
    query: AuditQuery,
    agency_id: str | None,
    rows: list[AuditRecord],
    *,
    error: FormError | None = None,
    status: int = 200,
) -> Response:
    officers = _officers_in(agency_id)
    names = {f"officer:{o.id}": o.username for o in officers}
    html = render_template(
        "web/audit.html",
        query=query,
        rows=rows,
        names=names,
        officers=officers,
        agencies=accounts.list_agencies(state_store()) if session.role == "admin" else [],
        agency_id=agency_id,
        channels=CHANNELS,
        outcomes=OUTCOMES,
        page_rows=PAGE_ROWS,
        error=error,
        csv_args={**request.args.to_dict(), "format": "csv"},
    )
    return make_response(html, status)


def _csv_response(entries: Iterable[AuditRecord]) -> Response:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    rows = (csv_cells(entry) for entry in entries)
    return csv_response(CSV_COLUMNS, rows, f"audit-{stamp}.csv")


# -- officers -------------------------------------------------------------------------------------


def _officers_in(agency_id: str | None) -> list[accounts.Officer]:
    store = state_store()
    if agency_id is None:
        return [
            o
            for agency in accounts.list_agencies(store)
            for o in accounts.list_officers(store, agency)
        ]
    agency = accounts.get_agency(store, agency_id)
    return accounts.list_officers(store, agency) if agency else []


@bp.get("/supervisor/officers")
@signed_in(*SUPERVISOR_ROLES)
def officers() -> Response:
    session = require_session()
    agency_id = _agency_in_scope(session, request.args.get("agency", "").strip()[:128])
    return _officers_page(session, agency_id)


def _officers_page(
    session: WebSession,
    agency_id: str | None,
    *,
    created: dict[str, str] | None = None,
    reset: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    agencies = accounts.list_agencies(state_store())
    listed = _officers_in(agency_id)
    store = state_store()
    html = render_template(
        "web/officers.html",
        officers=listed,
        sms={o.id: phones.sms_status(phones.of_officer(store, o.id)) for o in listed},
        agency_names={a.id: a.name for a in agencies},
        agencies=agencies if session.role == "admin" else [],
        agency_id=agency_id,
        roles=accounts.OFFICER_ROLES,
        created=created,
        reset=reset,
        error=error,
    )
    return make_response(html, status)


def _audited(
    session: WebSession,
    action: str,
    target: str,
    agency_id: str | None,
    detail: dict[str, str] | None = None,
) -> None:
    """The audit record of an administrative action on these pages, written after the change.
    A failure cannot undo the change: it is logged at ERROR for the operator to act on."""
    try:
        audit_page(session.officer_id, action, target, agency_id, detail=detail)
    except AuditUnavailable:
        log.error("administrative action not recorded", extra={"action": action})


def _target_officer(session: WebSession, officer_id: str) -> accounts.Officer:
    officer = accounts.get_officer(state_store(), officer_id[:128])
    if officer is None:
        abort(404)
    if session.role != "admin" and officer.agency_id != session.agency_id:
        abort(403)
    if session.role != "admin" and officer.role == "admin":
        abort(403)  # a supervisor never changes an administrator's account
    return officer


def _back_to_officers(officer: accounts.Officer) -> BaseResponse:
    session = require_session()
    if session.role == "admin":
        return redirect(url_for("web.officers", agency=officer.agency_id), code=303)
    return redirect(url_for("web.officers"), code=303)


@bp.post("/supervisor/officers/<officer_id>/unlock")
@signed_in(*SUPERVISOR_ROLES)
def officer_unlock(officer_id: str) -> BaseResponse:
    session = require_session()
    officer = _target_officer(session, officer_id)
    officer_admin.unlock(state_store(), officer)
    log.info("officer unlocked", extra={"officer_id": officer.id, "by": session.officer_id})
    _audited(session, "officer_unlock", officer.username, officer.agency_id)
    return _back_to_officers(officer)


@bp.post("/supervisor/officers/<officer_id>/disable")
@signed_in(*SUPERVISOR_ROLES)
def officer_disable(officer_id: str) -> BaseResponse:
    session = require_session()
    officer = _target_officer(session, officer_id)
    if officer.id == session.officer_id:
        abort(400)  # disabling oneself would only lock the last supervisor out
    officer_admin.set_disabled(state_store(), officer, True)
    log.info("officer disabled", extra={"officer_id": officer.id, "by": session.officer_id})
    _audited(session, "officer_disable", officer.username, officer.agency_id)
    return _back_to_officers(officer)


@bp.post("/supervisor/officers/<officer_id>/enable")
@signed_in(*SUPERVISOR_ROLES)
def officer_enable(officer_id: str) -> BaseResponse:
    session = require_session()
    officer = _target_officer(session, officer_id)
    officer_admin.set_disabled(state_store(), officer, False)
    log.info("officer enabled", extra={"officer_id": officer.id, "by": session.officer_id})
    _audited(session, "officer_enable", officer.username, officer.agency_id)
    return _back_to_officers(officer)


@bp.post("/supervisor/officers/<officer_id>/reset-authenticator")
@signed_in(*SUPERVISOR_ROLES)
def officer_reset_authenticator(officer_id: str) -> BaseResponse:
    session = require_session()
    officer = _target_officer(session, officer_id)
    officer, code = officer_admin.reset_authenticator(state_store(), officer, now=sessions.now())
    log.info(
        "officer authenticator reset", extra={"officer_id": officer.id, "by": session.officer_id}
    )
    _audited(session, "officer_reset_authenticator", officer.username, officer.agency_id)
    # The new enrolment code is shown here once (not after a redirect: it must not sit in a
    # URL); the officer needs it, with the password, at the next sign-in.
    agency_id = officer.agency_id if session.role == "admin" else session.agency_id
    reset = {"username": officer.username, "enrolment_code": enrolment.shown(code)}
    return _officers_page(session, agency_id, reset=reset)


@bp.post("/admin/officers")
@signed_in(*ADMIN_ROLES)
def officer_create() -> Response:
    session = require_session()
    form = request.form
    agency = accounts.get_agency(state_store(), form.get("agency_id", "")[:128])
    if agency is None:
        return _officers_page(session, None, error="Agency: choose an agency.", status=400)
    role = form.get("role", "officer")
    password = accounts.generate_password()
    try:
        officer = accounts.create_officer(
            state_store(),
            agency,
            username=form.get("username", "")[:128],
            display_name=form.get("display_name", "")[:200],
            password=password,
            role=role if role in accounts.OFFICER_ROLES else "officer",
        )
    except accounts.AccountError as error:
        return _officers_page(session, agency.id, error=str(error), status=400)
    log.info("officer created", extra={"officer_id": officer.id, "by": session.officer_id})
    _audited(session, "officer_create", officer.username, agency.id, {"role": officer.role})
    code = enrolment.issue_enrolment_code(state_store(), officer, sessions.now())
    created = {
        "username": officer.username,
        "password": password,
        "enrolment_code": enrolment.shown(code),
    }
    return _officers_page(session, agency.id, created=created)


# -- agencies and API keys (admin) -------------------------------------------------------------


@bp.get("/admin/agencies")
@signed_in(*ADMIN_ROLES)
def agencies() -> Response:
    return _agencies_page()


def _agencies_page(
    *,
    error: str | None = None,
    status: int = 200,
    new_key: dict[str, str] | None = None,
) -> Response:
    listed = accounts.list_agencies(state_store())
    html = render_template(
        "web/agencies.html",
        agencies=listed,
        keys={agency.id: accounts.list_api_keys(state_store(), agency) for agency in listed},
        key_roles=accounts.API_KEY_ROLES,
        error=error,
        new_key=new_key,
    )
    return make_response(html, status)


@bp.post("/admin/agencies")
@signed_in(*ADMIN_ROLES)
def agency_create() -> Response:
    session = require_session()
    ori = request.form.get("ori", "").strip()[:32] or None
    try:
        agency = accounts.create_agency(state_store(), request.form.get("name", "")[:300], ori=ori)
    except accounts.AccountError as error:
        return _agencies_page(error=str(error), status=400)
    log.info("agency created", extra={"agency_id": agency.id, "by": session.officer_id})
    _audited(session, "agency_create", agency.name, agency.id)
    return _agencies_page()


@bp.post("/admin/agencies/<agency_id>/keys")
@signed_in(*ADMIN_ROLES)
def apikey_create(agency_id: str) -> Response:
    session = require_session()
    agency = accounts.get_agency(state_store(), agency_id[:128])
    if agency is None:
        abort(404)
    role = request.form.get("role", "officer")
    label = request.form.get("label", "").strip()[:100] or None
    try:
        api_key, secret = accounts.create_api_key(
            state_store(),
            agency,
            role=role if role in accounts.API_KEY_ROLES else "officer",
            label=label,
        )
    except accounts.AccountError as error:
        return _agencies_page(error=str(error), status=400)
    log.info("api key created", extra={"api_key_id": api_key.id, "by": session.officer_id})
    _audited(session, "apikey_create", api_key.key_id, agency.id, {"role": api_key.role})
    return _agencies_page(new_key={"agency": agency.name, "key": secret})


@bp.post("/admin/keys/<key_id>/revoke")
@signed_in(*ADMIN_ROLES)
def apikey_revoke(key_id: str) -> BaseResponse:
    session = require_session()
    api_key = accounts.find_api_key(state_store(), key_id[:64])
    if api_key is None:
        abort(404)
    already = api_key.revoked
    accounts.revoke_api_key(state_store(), api_key)
    log.info("api key revoked", extra={"api_key_id": api_key.id, "by": session.officer_id})
    if not already:
        _audited(session, "apikey_revoke", api_key.key_id, api_key.agency_id)
    return redirect(url_for("web.agencies"), code=303)
