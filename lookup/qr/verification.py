"""What a scanned code says: the token checked (format, key, signature, dates), then the live
record behind it (credential, registration, accreditation status), and the audit record of a scan
that opens no lookup. Never raises for bad input or a backend failure: every outcome is a screen.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import request

from lookup.audit.records import record
from lookup.config import current_settings
from lookup.extensions import search_backend
from lookup.identity.principal import Principal
from lookup.qr import documents
from lookup.qr.key_ring import keystore
from lookup.qr.keys import KeyStoreError
from lookup.qr.screens import SCREENS, Screen
from lookup.qr.tokens import Claims, Verdict, Verification, verify
from lookup.store.base import Outcome
from search_index.backend import BackendError

_OUTCOMES: dict[Verdict, Outcome] = {
    Verdict.VALID: "match",
    Verdict.REVOKED: "no_match",
    Verdict.EXPIRED: "no_match",
    Verdict.NOT_YET_VALID: "no_match",
    Verdict.INVALID: "denied",
    Verdict.UNKNOWN_KEY: "denied",
    Verdict.UNAVAILABLE: "error",
}


@dataclass(frozen=True, slots=True)
class Checked:
    """The outcome of one scan: the screen, and what the valid screen may show."""

    screen: Screen
    code: str
    verification: Verification
    reason: str = ""  # live-record reason for a revoked or expired document
    facts: tuple[tuple[str, str], ...] = ()
    data_as_of: datetime | None = None

    @property
    def claims(self) -> Claims | None:
        return self.verification.shown_claims if self.screen.verdict is Verdict.VALID else None


def check_token(token: str, now: datetime) -> Checked:
    """Verify a token, then the live record. Never raises for bad input or a backend failure."""
    try:
        keys = keystore().keyset()
    except KeyStoreError:
        code = "QR-KEYS-UNAVAILABLE"
        return checked_as(Verdict.UNAVAILABLE, code, Verification(Verdict.UNAVAILABLE, code))
    result = verify(token, keys, now)
    if result.verdict is not Verdict.VALID or result.claims is None:
        return checked_as(result.verdict, result.code, result)
    claims = result.claims
    if claims.kind == "receipt":
        return checked_as(Verdict.VALID, result.code, result)
    if claims.certificate is not None:  # a training certificate: the signature is the record
        awarded = claims.certificate
        facts = (
            ("Certificate number", claims.subject),
            ("Awarded to", awarded.holder),
            ("Hours of instruction", f"{awarded.hours_tenths / 10:g}"),
            ("Seminar held on", awarded.held_on.isoformat()),
        )
        return Checked(SCREENS[Verdict.VALID], result.code, result, "", facts)
    try:
        with search_backend().snapshot() as snapshot:
            live = documents.live_check(snapshot, claims, current_settings().local_date(now))
            published = snapshot.info.published_at
    except (BackendError, OSError):
        return checked_as(Verdict.UNAVAILABLE, "QR-INDEX-UNAVAILABLE", result)
    if live.state == "revoked":
        return checked_as(Verdict.REVOKED, "QR-REVOKED", result, reason=live.reason)
    if live.state == "expired":
        return checked_as(Verdict.EXPIRED, "QR-DOCUMENT-EXPIRED", result, reason=live.reason)
    return Checked(SCREENS[Verdict.VALID], result.code, result, "", live.facts, published)


def checked_as(
    verdict: Verdict, code: str, verification: Verification, reason: str = ""
) -> Checked:
    return Checked(SCREENS[verdict], code, verification, reason)


# The `reason` of a scan's record when no lookup reason was given: anyone may scan a printed
# code (a bystander, the holder, an officer without signing in), and the page then shows only
# what the card itself shows. A signed-in officer who asks for the full record gives a reason,
# and that lookup's record carries it instead.
PUBLIC_SCAN_REASON = "public_scan"


def scan_detail(token: str, checked: Checked) -> dict[str, Any]:
    """What a scan's record says about the code. The subject is recorded only once the signature
    verified; for a rejected code, a hash of it lets an investigator match a seized forgery."""
    verification = checked.verification
    verified = verification.claims
    detail: dict[str, Any] = {
        "result": checked.screen.verdict.value,
        "code": checked.code,
        "kid": verification.kid,
        "token_sha256": hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:32],
    }
    if verified is not None:
        detail["token_type"] = verified.kind
    return detail


def audit_scan(token: str, checked: Checked, principal: Principal | None) -> None:
    """One audit record per scan that opens no lookup (see PUBLIC_SCAN_REASON)."""
    verified = checked.verification.claims
    record(
        principal,
        channel="qr",
        action="qr",
        query=verified.subject if verified is not None else "",
        reason=PUBLIC_SCAN_REASON,
        outcome=_OUTCOMES[checked.screen.verdict],
        client=request.remote_addr,
        detail=scan_detail(token, checked),
    )
