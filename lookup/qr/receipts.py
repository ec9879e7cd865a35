"""Signed lookup receipts: a QR code that proves, later, what an officer was shown.

A receipt is built from the audit record of a lookup's reference (never from what a client sends):
its time, channel, query kind and value, outcome, match count and a compact summary of the
immunity levels (and, for plates, the insurance status) the answer showed. The token is signed
with the time of the lookup as its issue time, so asking twice for the same receipt with the same
key gives the same code. The full record stays in the audit log; the receipt names it by reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from lookup.qr import render
from lookup.qr.keys import SigningKey
from lookup.qr.tokens import (
    CHANNELS,
    MAX_QUERY_BYTES,
    MAX_SUMMARY_BYTES,
    QUERY_KINDS,
    Claims,
    ReceiptFacts,
    sign,
)
from lookup.store.base import AuditFilter, AuditRecord, StateStore

# How long a receipt verifies: long enough for a complaint or a court case. A receipt also stops
# verifying when its key is retired, so keep old keys `verifying` as long as receipts matter.
RECEIPT_LIFETIME = timedelta(days=7 * 366)

LEVEL_LETTERS = {"full": "F", "official_acts": "O", "none": "N", "unverified": "U"}
INSURANCE_LETTERS = {
    "active": "A",
    "expiring": "E",
    "lapsed": "L",
    "not_yet_effective": "Y",
    "below_minimum": "B",
    "none": "X",
    "not_required": "R",
}
MAX_LEVELS = 6


class ReceiptNotFound(Exception):
    """No lookup with this reference for the asking agency (or not a lookup at all)."""


@dataclass(frozen=True, slots=True)
class Receipt:
    reference: str
    token: str
    url: str
    svg: str
    claims: Claims
    kid: str


def summary_code(summary: Mapping[str, Any] | None) -> str:
    """The compact summary carried in the token: one letter per immunity level shown (at most
    six), then `/` and the insurance letter for plate answers. Unknown values are dropped."""
    if not summary:
        return ""
    levels = summary.get("levels") or []
    code = "".join(LEVEL_LETTERS.get(str(level), "") for level in levels)[:MAX_LEVELS]
    insurance = INSURANCE_LETTERS.get(str(summary.get("insurance")))
    if insurance:
        code += "/" + insurance
    return code[:MAX_SUMMARY_BYTES]


def describe_summary(code: str) -> tuple[list[str], str | None]:
    """The words behind a summary code: the levels shown and the insurance status."""
    words = {letter: level for level, letter in LEVEL_LETTERS.items()}
    insurance_words = {letter: status for status, letter in INSURANCE_LETTERS.items()}
    levels_part, _, insurance_part = code.partition("/")
    levels = [words[letter].replace("_", " ") for letter in levels_part if letter in words]
    insurance = insurance_words.get(insurance_part)
    return levels, insurance.replace("_", " ") if insurance else None


def facts_from_audit(record: AuditRecord) -> ReceiptFacts:
    """What the receipt attests. Raises ReceiptNotFound for a record that is not a lookup."""
    if record.channel not in CHANNELS or record.action not in QUERY_KINDS:
        raise ReceiptNotFound(record.reference)
    detail = record.detail
    matches = detail.get("matches", 0)
    return ReceiptFacts(
        channel=record.channel,
        query_kind=record.action,
        outcome=record.outcome,
        matches=matches if isinstance(matches, int) else 0,
        query=record.query,
        summary=summary_code(detail.get("summary")),
    )


def find_lookup(store: StateStore, reference: str, agency_id: str) -> AuditRecord:
    """The audit record of `reference` made by `agency_id`, however old: one exact, indexed
    match. Another agency's reference is not found, as if it did not exist. Raises
    ReceiptNotFound."""
    # Read to the end (at most one record), so the store's cursor is closed at once.
    found = list(store.iter_audit(AuditFilter(reference=reference, agency_id=agency_id, limit=1)))
    if not found:
        raise ReceiptNotFound(reference)
    return found[0]


def issue_receipt(
    record: AuditRecord,
    key: SigningKey,
    base_url: str,
) -> Receipt:
    """Sign a receipt for an audit record and render its QR code (SVG). The query is cut further
    when the code would otherwise exceed the QR version limit."""
    facts = facts_from_audit(record)
    issued = int(record.at.timestamp())
    expires = min(int((record.at + RECEIPT_LIFETIME).timestamp()), 0xFFFFFFFF)
    for query in _shorter(facts.query):
        claims = Claims(
            "receipt",
            record.reference,
            issued,
            expires,
            ReceiptFacts(
                facts.channel,
                facts.query_kind,
                facts.outcome,
                facts.matches,
                query,
                facts.summary,
            ),
        )
        token = sign(claims, key)
        url = verification_url(base_url, token)
        try:
            svg = render.svg(url)
        except render.QrTooLarge:
            continue
        return Receipt(record.reference, token, url, svg, claims, key.kid)
    raise render.QrTooLarge("the receipt does not fit a QR code: shorten DIPCHECK_PUBLIC_URL")


def _shorter(query: str) -> Sequence[str]:
    """The query as the token may hold it, then ever shorter, down to nothing."""
    raw = query.encode("utf-8")[:MAX_QUERY_BYTES]
    cuts: list[str] = []
    for length in range(len(raw), -1, -1):
        text = raw[:length].decode("utf-8", errors="ignore")
        if not cuts or cuts[-1] != text:
            cuts.append(text)
    return cuts


def verification_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/v/{token}"
