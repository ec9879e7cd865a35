"""POST /sms/twilio: Twilio's inbound-message webhook.

Order of the checks, each failing closed:
1. the Twilio signature over the public URL and every parameter (403, no audit record: a request
   Twilio did not send is not a message; it is logged without its content);
2. the MessageSid is claimed once (a replay gets an empty reply: no lookup, no audit record);
3. STOP and its synonyms are honoured before anything else (never rate-limited, never a lookup);
4. per-phone and global rate limits (refused: one `denied` audit record);
5. the phone must be enrolled to an active officer (refused: one `denied` audit record and one
   generic line) and not opted out (refused: one `denied` record, no reply);
6. HELP/START and unreadable texts are answered without a lookup; a lookup goes through
   `run_lookup`, which writes its own single audit record, and is rendered into one segment.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, Response, request
from flask.blueprints import BlueprintSetupState
from twilio.twiml.messaging_response import MessagingResponse

from lookup.answers.service import InvalidQuery, LookupUnavailable, record_denied, run_lookup
from lookup.answers.text import replies
from lookup.answers.text.render import reply_for
from lookup.audit.records import AuditUnavailable
from lookup.config import current_settings
from lookup.errors import error_response
from lookup.extensions import EXTENSION_KEY, state_store
from lookup.http.rate_limits import sms_within_limits
from lookup.identity import accounts, phones
from lookup.identity.phones import Enrolment
from lookup.identity.principal import Principal
from lookup.sms import replay
from lookup.sms.commands import Command, Control, Lookup, Unrecognized, parse
from lookup.sms.forgeries import EXTENSION_KEY as FORGERIES_KEY
from lookup.sms.forgeries import ForgeryLog, forgery_log
from lookup.sms.signature import InboundMessage, Rejected, auth_tokens, verify
from lookup.store.base import StateStore, StoreError

log = logging.getLogger(__name__)

sms_blueprint = Blueprint("sms", __name__)

TWIML_MIMETYPE = "application/xml"


@sms_blueprint.record_once
def _declare_collections(state: BlueprintSetupState) -> None:
    state.app.extensions[EXTENSION_KEY].declare([phones.SPEC, replay.SPEC])
    state.app.extensions[FORGERIES_KEY] = ForgeryLog()


def twiml(text: str | None) -> Response:
    """A TwiML reply with one message, or none (Twilio then sends nothing)."""
    reply = MessagingResponse()
    if text:
        reply.message(text)
    response = Response(str(reply), mimetype=TWIML_MIMETYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


@sms_blueprint.post("/twilio")
def twilio_webhook() -> Response:
    settings = current_settings()
    if not settings.public_url or settings.twilio_auth_token is None:
        log.warning("sms webhook called but DIPCHECK_PUBLIC_URL or _TWILIO_AUTH_TOKEN is not set")
        return error_response(404, "not_found", "The SMS channel is not configured.")
    try:
        message = verify(
            request,
            public_url=settings.public_url,
            auth_tokens=auth_tokens(settings.twilio_auth_token.get_secret_value()),
        )
    except Rejected as rejected:
        log.warning("sms webhook rejected", extra={"field": rejected.field})
        if rejected.status == 403:
            forgery_log().forged(request.remote_addr, rejected.field, datetime.now(UTC))
            return error_response(403, "forbidden", "Request not signed by Twilio.")
        return error_response(400, "bad_request", str(rejected), field=rejected.field)

    try:
        store = state_store()
        if not replay.claim(store, message.message_sid):
            log.warning("sms replay ignored", extra={"message_sid": message.message_sid})
            return twiml(None)
        return twiml(_answer(store, message, settings.verify_phone))
    except StoreError:
        # The app-state store is down: nothing can be checked or audited, so nothing is
        # answered but the number to call.
        log.exception("sms message not answered: state store unavailable")
        return twiml(replies.unavailable_reply(None, settings.verify_phone))


def _answer(store: StateStore, message: InboundMessage, verify_phone: str) -> str | None:
    hashed = phones.app_phone_hash(message.sender)
    command = parse(message.body)
    enrolment = phones.find(store, hashed)
    principal, refusal = _principal(enrolment)
    allowed = enrolment is not None and principal is not None and refusal is None
    try:
        if isinstance(command, Control) and command.word == "stop":
            # Twilio and the carrier confirm an opt-out themselves and block our replies after
            # it, so STOP gets no reply; the enrolment remembers it for the officer's profile.
            if enrolment is not None and not enrolment.opted_out:
                phones.set_opted_out(store, enrolment, True)
            if not allowed:
                _deny(principal, command, hashed, refusal or "phone_not_enrolled")
            return None
        if not sms_within_limits(hashed):
            reference = _deny(principal, command, hashed, "rate_limited")
            # Unknown numbers get no reply at all once limited: each reply costs money.
            return replies.rate_limited_reply(reference, verify_phone) if allowed else None
        if enrolment is None or principal is None or refusal is not None:
            _deny(principal, command, hashed, refusal or "phone_not_enrolled")
            return replies.not_enrolled_reply()
        if enrolment.opted_out and not isinstance(command, Control):
            # Nothing may be sent to a number that opted out (Twilio would refuse it, or, with
            # its opt-out filtering off, we must): no lookup whose answer nobody receives.
            _deny(principal, command, hashed, "phone_opted_out")
            return None
        return _serve(store, enrolment, principal, command, hashed, verify_phone)
    except AuditUnavailable:
        # Fail closed: nothing is answered without its audit record.
        log.error("sms answer refused: audit record could not be written")
        return replies.unavailable_reply(None, verify_phone) if allowed else None


def _principal(enrolment: Enrolment | None) -> tuple[Principal | None, str | None]:
    """The officer behind an enrolled phone, and why the phone may not look up (None: it may).
    A disabled enrolment or officer still names the officer, so the refusal's audit record
    lands in that agency's trail."""
    if enrolment is None:
        return None, "phone_not_enrolled"
    officer = accounts.get_officer(state_store(), enrolment.officer_id)
    agency = accounts.get_agency(state_store(), enrolment.agency_id)
    if officer is None or agency is None or officer.agency_id != agency.id:
        return None, "officer_not_found"
    principal = Principal(
        agency_id=agency.id,
        agency_name=agency.name,
        actor=f"officer:{officer.id}",
        role=officer.role,
        officer_id=officer.id,
    )
    if enrolment.disabled:
        return principal, "phone_disabled"
    if officer.disabled:
        return principal, "officer_disabled"
    return principal, None


def _serve(
    store: StateStore,
    enrolment: Enrolment,
    principal: Principal,
    command: Command,
    hashed: str,
    verify_phone: str,
) -> str:
    if isinstance(command, Control):
        if command.word == "start":
            if enrolment.opted_out:
                phones.set_opted_out(store, enrolment, False)
            return replies.restarted_reply()
        return replies.help_reply(verify_phone)
    if isinstance(command, Unrecognized):
        return replies.unrecognized_reply(verify_phone)
    try:
        result = run_lookup(
            principal,
            channel="sms",
            kind=command.kind,
            value=command.value,
            reason=command.reason,
            client=hashed,
            include_date_of_birth=False,
        )
    except InvalidQuery:
        return replies.invalid_value_reply(command.kind, verify_phone)
    except LookupUnavailable as unavailable:
        return replies.unavailable_reply(unavailable.reference, verify_phone)
    return reply_for(command.kind, command.value, result.body, verify_phone)


def _deny(principal: Principal | None, command: Command, hashed: str, code: str) -> str:
    """The one audit record of a refused message; returns its reference."""
    kind: str
    reason: str | None
    if isinstance(command, Lookup):
        kind, value, reason = command.kind, command.value, command.reason
    elif isinstance(command, Control):
        kind, value, reason = "sms_control", command.typed, None
    else:
        kind, value, reason = "sms_unrecognized", command.why, None
    reference = record_denied(
        principal, channel="sms", kind=kind, value=value, reason=reason, client=hashed, code=code
    )
    log.info("sms message refused", extra={"refusal": code})
    return reference
