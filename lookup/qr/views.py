"""The QR channel's routes: the verification page, the public key set, and lookup receipts.

- `GET /v/<token>`: anyone may scan. The token is checked (format, key, signature, dates), then
  the live record (credential, registration, accreditation status). Each scan is audited with
  channel "qr" and action "qr" (actor and agency empty for the public) and rate limited per client
  address. A signed-in officer (web session or Bearer key) may also ask for the full answer,
  with a reason: that runs the ordinary lookup on channel "qr", audited like any other.
- `GET /.well-known/dipcheck-keys.json`: the public keys that verify tokens, for offline apps.
- `GET /.well-known/dipcheck-revocations.json`: the revoked codes, as hashes (revocations.py).
- `GET /api/v1/receipts/<reference>`: a signed receipt QR for one of the caller agency's lookups.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    jsonify,
    render_template,
    request,
)
from flask.blueprints import BlueprintSetupState
from flask_limiter import RateLimitExceeded
from markupsafe import Markup
from pydantic import BaseModel, Field
from spectree import Response as Responses
from werkzeug.routing import BaseConverter

from lookup.answers.phone_links import tel_href
from lookup.answers.service import REASONS, InvalidQuery, LookupKind, LookupUnavailable, run_lookup
from lookup.audit.records import REFERENCE_ALPHABET, REFERENCE_PREFIX, AuditUnavailable
from lookup.config import current_settings
from lookup.errors import ApiError, wants_json
from lookup.extensions import search_backend, state_store
from lookup.http.headers import apply_strict_headers, content_security_policy
from lookup.http.rate_limits import limiter
from lookup.identity.auth import current_principal, require_principal
from lookup.identity.principal import AuthError, CredentialsUnavailable, Principal
from lookup.identity.sessions import current_web_session
from lookup.openapi.spec import AUTHENTICATED, ErrorBody, spec
from lookup.qr import receipts, revocations
from lookup.qr.key_ring import base_url, init_key_ring, keystore
from lookup.qr.keys import KeyStoreError
from lookup.qr.render import QrTooLarge
from lookup.qr.screens import PROOF_LIMIT, failure_notice
from lookup.qr.tokens import Claims, Verdict
from lookup.qr.verification import Checked, audit_scan, check_token, checked_as, scan_detail
from lookup.rules.freshness import data_stale
from lookup.screens.cards import AnswerView, choose_view
from lookup.screens.officer import OfficerScreenUi
from lookup.store.base import StoreError
from search_index.backend import BackendError

KEYS_PATH = "/.well-known/dipcheck-keys.json"
# The reasons in words, as the web pages word them, from the one list the lookup accepts.
# QR pages run no script of their own; the rendered code is a data: image.
_CONTENT_SECURITY_POLICY = content_security_policy(scripts=False, data_images=True)
REASON_LABELS = {code: code.replace("_", " ").capitalize() for code in REASONS}
qr_blueprint = Blueprint(
    "qr",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/qr/static",
)


class ScannedTokenConverter(BaseConverter):
    """Whatever follows /v/, slashes and line breaks included: a mangled or forged code is an
    invalid code (its own screen and audit record), never a 404 that says nothing."""

    regex = r"[\s\S]+"
    part_isolating = False


@qr_blueprint.record_once
def _configure(state: BlueprintSetupState) -> None:
    """Attach the key ring (its place is a validated setting, settled at start-up), and the
    converter of the scan route (before the route itself is added)."""
    state.app.url_map.converters["scanned_token"] = ScannedTokenConverter
    init_key_ring(state.app)


# The verification number's link on QR pages; the same as every other page's.
qr_blueprint.add_app_template_filter(tel_href, "qr_tel")


# -- verification -----------------------------------------------------------------------------


def _scan_limit() -> str:
    # Scans per client address: DIPCHECK_QR_RATELIMIT raises it for deployments whose officers
    # share one address (a checkpoint behind one NAT).
    return current_settings().qr_ratelimit


def _client_address() -> str:
    return f"qr:{request.remote_addr or 'unknown'}"


@dataclass
class FullAnswer:
    """A signed-in officer's full answer (or why there is none)."""

    reasons: Mapping[str, str]
    chosen: str | None = None
    body: dict[str, Any] | None = None
    error: str | None = None
    status: int = 200
    audit_failed: bool = False


def _opens_full_answer(checked: Checked) -> bool:
    """A valid document code scanned with a reason: the officer asks for the full record."""
    claims = checked.claims
    return claims is not None and claims.kind != "receipt" and bool(request.args.get("reason"))


@qr_blueprint.get("/v/<scanned_token:token>")
@limiter.limit(_scan_limit, key_func=_client_address)
def verify_page(token: str) -> Response:
    now = datetime.now(UTC)
    credentials_unavailable = False
    try:
        principal = current_principal()
    except AuthError:  # a bad Bearer key: this page still serves the public check
        principal = None
    except CredentialsUnavailable:
        # The store cannot say who is asking, so it cannot record this scan for them either:
        # this page's own "cannot verify now" screen, not the bare 503 of other routes.
        principal, credentials_unavailable = None, True
    checked = check_token(token, now)
    full: FullAnswer | None = None
    if credentials_unavailable:
        code = "QR-CREDENTIALS-UNAVAILABLE"
        checked = checked_as(Verdict.UNAVAILABLE, code, checked.verification)
        # The audit is in the same store as the credentials: refused, and unrecorded.
        with suppress(AuditUnavailable):
            audit_scan(token, checked, None)
    elif principal is not None and _opens_full_answer(checked):
        # The scan and the lookup it opens are one look: one record, the lookup's, which
        # carries the code's facts too.
        full = _full_answer(principal, checked, scan_detail(token, checked))
        if full is not None and full.audit_failed:
            checked = checked_as(Verdict.UNAVAILABLE, "QR-AUDIT-UNAVAILABLE", checked.verification)
    else:
        try:
            audit_scan(token, checked, principal)
        except AuditUnavailable:
            checked = checked_as(Verdict.UNAVAILABLE, "QR-AUDIT-UNAVAILABLE", checked.verification)
        full = _full_answer(principal, checked, {}) if principal is not None else None
    status = full.status if full is not None and full.status != 200 else checked.screen.status
    if wants_json():
        response = jsonify(_json(checked, full))
    else:
        response = Response(_html(checked, full, principal), mimetype="text/html")
    response.status_code = status
    _private_headers(response)
    return response


def _full_answer(
    principal: Principal, checked: Checked, scan_record: dict[str, Any]
) -> FullAnswer | None:
    claims = checked.claims
    if claims is None or claims.kind in ("receipt", "certificate"):
        return None
    full = FullAnswer(reasons=REASON_LABELS)
    reason = request.args.get("reason")
    if not reason:
        full.chosen = _remembered_reason()
        return full
    full.chosen = reason
    kind: LookupKind = "credential" if claims.kind == "credential" else "plate"
    try:
        result = run_lookup(
            principal,
            channel="qr",
            kind=kind,
            value=claims.subject,
            reason=reason,
            client=request.remote_addr,
            audit_detail={"scan": scan_record},
        )
    except InvalidQuery as error:
        full.error, full.status = f"{error.field}: {error.message}", 400
    except (LookupUnavailable, AuditUnavailable) as error:
        phone = current_settings().verify_phone
        full.error, full.status = f"Cannot show the full record now; call {phone}.", 503
        full.audit_failed = isinstance(error, AuditUnavailable)
    else:
        full.body = result.body
    return full


def _remembered_reason() -> str | None:
    """The reason the officer last chose on the web pages, if there is a web session."""
    session = current_web_session()
    return session.reason if session is not None and session.reason in REASONS else None


def _json(checked: Checked, full: FullAnswer | None) -> dict[str, Any]:
    settings = current_settings()
    out: dict[str, Any] = {
        "result": checked.screen.verdict.value,
        "code": checked.code,
        "title": checked.screen.title,
        "message": checked.screen.message,
        "verify": {"phone": settings.verify_phone, "label": settings.verify_phone_label},
    }
    claims = checked.claims
    if claims is None:
        out["notice"] = failure_notice(settings.verify_phone_label, settings.verify_phone)
        if checked.reason:
            out["reason"] = checked.reason
        return out
    out["document"] = {
        "type": claims.kind,
        "expires_at": claims.expires.isoformat(),
        "facts": [{"label": label, "value": value} for label, value in checked.facts],
    }
    if claims.receipt is not None:
        out["receipt"] = _receipt_view(claims)
    if checked.data_as_of is not None:
        out["data_as_of"] = checked.data_as_of.isoformat()
        out["data_stale"] = data_stale(checked.data_as_of)
    if full is not None and full.body is not None:
        out["answer"] = full.body
    elif full is not None and full.error is not None:
        out["answer_error"] = full.error
    return out


def _receipt_view(claims: Claims) -> dict[str, Any]:
    facts = claims.receipt
    assert facts is not None
    levels, insurance = receipts.describe_summary(facts.summary)
    return {
        "reference": claims.subject,
        "looked_up_at": claims.issued.isoformat(),
        "channel": facts.channel,
        "query_kind": facts.query_kind,
        "query": facts.query,
        "outcome": facts.outcome,
        "matches": facts.matches,
        "immunity_levels": levels,
        "insurance": insurance,
    }


def _html(checked: Checked, full: FullAnswer | None, principal: Principal | None) -> str:
    settings = current_settings()
    claims = checked.claims
    return render_template(
        "qr/verify.html",
        checked=checked,
        screen=checked.screen,
        claims=claims,
        receipt=_receipt_view(claims) if claims is not None and claims.receipt else None,
        full=full,
        principal=principal,
        notice=failure_notice(settings.verify_phone_label, settings.verify_phone),
        settings=settings,
        site=base_url(),
        shown=_shown(claims, full),
        data_stale=checked.data_as_of is not None and data_stale(checked.data_as_of),
        ui=OfficerScreenUi(),
        verify_tel=tel_href(settings.verify_phone),
        proof_limit=PROOF_LIMIT,
    )


def _shown(claims: Claims | None, full: FullAnswer | None) -> AnswerView | None:
    """The card the full record opens on, chosen as the officer web chooses it."""
    if claims is None or full is None or full.body is None:
        return None
    kind = "credential" if claims.kind == "credential" else "plate"
    return choose_view(kind, full.body["matches"])


def _private_headers(response: Response) -> None:
    # The token is in the path: the shared no-referrer policy keeps it from another site.
    apply_strict_headers(
        response.headers,
        policy=_CONTENT_SECURITY_POLICY,
        no_store=True,
        extra={"X-Robots-Tag": "noindex"},
    )


@qr_blueprint.errorhandler(RateLimitExceeded)
def _too_many(error: RateLimitExceeded) -> Response:
    settings = current_settings()
    message = (
        f"Too many checks from this address; wait a minute. To verify now call "
        f"{settings.verify_phone}."
    )
    if wants_json():
        response = jsonify({"error": {"code": "rate_limited", "message": message}})
    else:
        response = Response(
            render_template("qr/limited.html", message=message, settings=settings),
            mimetype="text/html",
        )
    response.status_code = 429
    _private_headers(response)
    return response


# -- public key set ---------------------------------------------------------------------------


@qr_blueprint.get(KEYS_PATH)
def public_keys() -> Response:
    try:
        keyset = keystore().keyset()
    except KeyStoreError:
        raise ApiError(503, "unavailable", "the key set cannot be read now") from None
    response = jsonify(keyset.to_json(datetime.now(UTC), issuer=base_url()))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@qr_blueprint.get(revocations.REVOCATIONS_PATH)
def revocation_list() -> Response:
    """Public, like the key set: it names no one (see lookup/qr/revocations.py)."""
    try:
        with search_backend().snapshot() as snapshot:
            body = revocations.listing(snapshot, base_url(), datetime.now(UTC))
    except (BackendError, OSError):
        raise ApiError(503, "unavailable", "the revocation list cannot be read now") from None
    response = jsonify(body)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# -- receipts ---------------------------------------------------------------------------------

_REFERENCE_LENGTH = len(REFERENCE_PREFIX) + 11


def _parse_reference(raw: str) -> str:
    reference = raw.strip().upper()
    body = reference.removeprefix(REFERENCE_PREFIX).replace("-", "")
    if (
        len(reference) != _REFERENCE_LENGTH
        or not reference.startswith(REFERENCE_PREFIX)
        or len(body) != 10
        or not set(body) <= set(REFERENCE_ALPHABET)
    ):
        raise ApiError(
            400, "bad_request", "must be a lookup reference like DC-7K2QM-9XR4B", field="reference"
        )
    return reference


def receipt_for(reference: str, principal: Principal) -> receipts.Receipt:
    """A signed receipt for one of the principal's agency's lookups.
    Raises ReceiptNotFound, KeyStoreError, StoreError or QrTooLarge."""
    found = receipts.find_lookup(state_store(), reference, principal.agency_id)
    return receipts.issue_receipt(found, keystore().signer(), base_url())


class ReceiptOut(BaseModel):
    """A signed lookup receipt (OpenAPI document only; the view builds the JSON itself)."""

    reference: str
    token: str = Field(description="The signed token (base64url), as carried in `url`.")
    url: str = Field(description="The verification page address the QR code holds.")
    svg: str = Field(description="The QR code as a standalone SVG document.")
    kid: str = Field(description="The signing key id (see /.well-known/dipcheck-keys.json).")
    looked_up_at: datetime
    expires_at: datetime


@qr_blueprint.get("/api/v1/receipts/<reference>")
@spec.validate(
    resp=Responses(
        HTTP_200=ReceiptOut,
        HTTP_400=ErrorBody,
        HTTP_401=ErrorBody,
        HTTP_404=ErrorBody,
        HTTP_503=ErrorBody,
    ),
    tags=["receipts"],
    operation_id="getReceipt",
    security=AUTHENTICATED,
    path_parameter_descriptions={"reference": "A lookup's reference, e.g. DC-7K2QM-9XR4B."},
    skip_validation=True,
)
def receipt_api(reference: str) -> Response:
    """A signed receipt QR for one of the caller agency's lookups: proves later what was shown.
    Another agency's reference answers 404, like an unknown one."""
    principal = require_principal()
    wanted = _parse_reference(reference)
    try:
        receipt = receipt_for(wanted, principal)
    except receipts.ReceiptNotFound:
        raise ApiError(404, "not_found", "no lookup with this reference for your agency") from None
    except (KeyStoreError, StoreError, QrTooLarge):
        raise ApiError(503, "unavailable", "receipts cannot be signed now") from None
    response = jsonify(
        {
            "reference": receipt.reference,
            "token": receipt.token,
            "url": receipt.url,
            "svg": receipt.svg,
            "kid": receipt.kid,
            "looked_up_at": receipt.claims.issued.isoformat(),
            "expires_at": receipt.claims.expires.isoformat(),
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@qr_blueprint.get("/qr/receipts/<reference>")
def receipt_page(reference: str) -> Response:
    """The receipt as a page an officer can show or print; the answer pages link here."""
    settings = current_settings()
    try:
        principal = current_principal()
    except AuthError:
        principal = None
    status, receipt, message = 200, None, ""
    if principal is None:
        status, message = 401, "Sign in to see the receipts of your agency's lookups."
    else:
        try:
            receipt = receipt_for(_parse_reference(reference), principal)
        except ApiError as error:
            status, message = error.status, f"{error.field}: {error.message}"
        except receipts.ReceiptNotFound:
            status, message = 404, "No lookup with this reference for your agency."
        except (KeyStoreError, StoreError, QrTooLarge):
            status, message = (
                503,
                f"Receipts cannot be signed now. To verify, call {settings.verify_phone}.",
            )
    response = Response(
        render_template(
            "qr/receipt.html",
            receipt=receipt,
            shown=_receipt_view(receipt.claims) if receipt is not None else None,
            svg=Markup(receipt.svg) if receipt is not None else None,  # noqa: S704 (our SVG)
            message=message,
            settings=settings,
            site=base_url(),
        ),
        status=status,
        mimetype="text/html",
    )
    _private_headers(response)
    return response
