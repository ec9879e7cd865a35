"""The compact signed token printed in QR codes, and its offline verification.

Binary layout, format version 1 (all integers big-endian):

    offset  size  field
    0       1     format version (0x01)
    1       1     token type: 'C' credential, 'V' vehicle registration, 'R' lookup receipt,
                  'T' training certificate
    2       4     key id (first 4 bytes of the signing key's SHA-256)
    6       4     issued at, Unix seconds
    10      4     expires at, Unix seconds
    14      1+n   subject: length byte, then UTF-8 (credential number, plate or audit reference)
    receipt tokens only:
            1     channel code, 1 query-kind code, 1 outcome code, 1 match count (capped at 255)
            1+n   query as typed (UTF-8, cut to fit)
            1+n   result summary (ASCII, e.g. "full" or "official_acts+none")
    certificate tokens only (subject: the certificate number):
            1+n   holder's name (UTF-8, cut to fit)
            2     hours of instruction, in tenths
            2     day the seminar was held, in days since 1970-01-01
    end     64    Ed25519 signature over SIGNING_CONTEXT + every byte before it

The whole is base64url without padding. The signing context is never transmitted: it binds a
signature to this use, so no other Ed25519 signature made with the same key can pass as a token.
Parsing is strict (exact lengths, no trailing bytes, valid UTF-8), and verification checks the
key before the signature and the signature before any claim, so a failed check knows nothing of
the token's content.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Literal

from cryptography.exceptions import InvalidSignature

from lookup.qr.keys import KID_BYTES, KeySet, SigningKey

FORMAT_VERSION = 1
SIGNING_CONTEXT = b"DipCheck QR token v1\x00"
SIGNATURE_BYTES = 64
MAX_TOKEN_CHARS = 400  # far above any valid token; longer input is refused before decoding
CLOCK_SKEW_SECONDS = 300  # a token "issued" slightly in the future is a clock difference
MAX_SUBJECT_BYTES = 64
MAX_QUERY_BYTES = 20  # receipts cut it further when the code would not fit
MAX_SUMMARY_BYTES = 8
MAX_HOLDER_BYTES = 32
_CERTIFICATE = struct.Struct(">HH")
_EPOCH_DAY = date(1970, 1, 1)
SCAN_PATH = "/v/"  # verification URLs are <public URL>/v/<token>

_HEADER = struct.Struct(">BB4sII")

TokenKind = Literal["credential", "vehicle", "receipt", "certificate"]
_KIND_CODES: dict[TokenKind, int] = {
    "credential": ord("C"),
    "vehicle": ord("V"),
    "receipt": ord("R"),
    "certificate": ord("T"),
}
_KIND_BY_CODE = {code: kind for kind, code in _KIND_CODES.items()}


def kind_code(kind: TokenKind) -> int:
    """The type byte a token of `kind` carries."""
    return _KIND_CODES[kind]


# Small code tables for receipts: one byte each instead of the words.
CHANNELS = ("api", "web", "sms", "qr")
QUERY_KINDS = ("plate", "plate_pattern", "credential", "license", "person", "qr")
OUTCOMES = ("match", "no_match", "denied", "error")


class Verdict(StrEnum):
    VALID = "valid"
    INVALID = "invalid"  # malformed, unsupported format, or a signature that does not verify
    UNKNOWN_KEY = "unknown_key"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"  # from the live record (server side only)
    UNAVAILABLE = "unavailable"  # the live record cannot be read (server side only)


class TokenFormatError(ValueError):
    """Claims that cannot be encoded (too long, out of range)."""


@dataclass(frozen=True, slots=True)
class ReceiptFacts:
    """What a lookup receipt attests, taken from the audit record of its reference."""

    channel: str
    query_kind: str
    outcome: str
    matches: int
    query: str
    summary: str


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """What a training certificate attests (issued by the outreach package)."""

    holder: str
    hours_tenths: int
    held_on: date


@dataclass(frozen=True, slots=True)
class Claims:
    kind: TokenKind
    subject: str
    issued_at: int  # Unix seconds
    expires_at: int
    receipt: ReceiptFacts | None = None
    certificate: CertificateFacts | None = None

    @property
    def issued(self) -> datetime:
        return datetime.fromtimestamp(self.issued_at, UTC)

    @property
    def expires(self) -> datetime:
        return datetime.fromtimestamp(self.expires_at, UTC)


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of checking a token. `claims` is set only when the signature verified; the
    screens of a failed check must not show them anyway (see `shown_claims`)."""

    verdict: Verdict
    code: str  # stable error code for support, e.g. "QR-SIGNATURE"
    kid: str | None = None
    claims: Claims | None = None

    @property
    def shown_claims(self) -> Claims | None:
        return self.claims if self.verdict is Verdict.VALID else None


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


_B64URL_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _unb64url(text: str) -> bytes:
    raw = text.encode("ascii", errors="strict")
    if not raw or not set(raw) <= _B64URL_ALPHABET or len(raw) % 4 == 1:
        raise ValueError("not base64url")
    decoded = base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    if _b64url(decoded) != text:  # non-canonical trailing bits: one token, one spelling
        raise ValueError("non-canonical base64url")
    return decoded


def _pack_text(value: str, limit: int, *, cut: bool = False) -> bytes:
    raw = value.encode("utf-8")
    if len(raw) > limit:
        if not cut:
            raise TokenFormatError(f"value longer than {limit} bytes")
        raw = raw[:limit].decode("utf-8", errors="ignore").encode("utf-8")
    return bytes([len(raw)]) + raw


def _code(table: Sequence[str], value: str, field_name: str) -> int:
    try:
        return table.index(value)
    except ValueError as exc:
        raise TokenFormatError(f"{field_name}: unknown value {value!r}") from exc


def encode_claims(claims: Claims, kid: str) -> bytes:
    """The signed part of a token (everything but the signature)."""
    if not claims.subject:
        raise TokenFormatError("subject is empty")
    if not 0 <= claims.issued_at <= claims.expires_at <= 0xFFFFFFFF:
        raise TokenFormatError("times must satisfy 0 <= issued <= expires < 2106")
    kid_raw = bytes.fromhex(kid)
    if len(kid_raw) != KID_BYTES:
        raise TokenFormatError("key id must be 4 bytes")
    body = _HEADER.pack(
        FORMAT_VERSION, _KIND_CODES[claims.kind], kid_raw, claims.issued_at, claims.expires_at
    )
    body += _pack_text(claims.subject, MAX_SUBJECT_BYTES)
    facts = claims.receipt
    if (claims.kind == "receipt") != (facts is not None):
        raise TokenFormatError("receipt facts go with receipt tokens only")
    if facts is not None:
        if not facts.summary.isascii():
            raise TokenFormatError("summary must be ASCII")
        body += bytes(
            [
                _code(CHANNELS, facts.channel, "channel"),
                _code(QUERY_KINDS, facts.query_kind, "query_kind"),
                _code(OUTCOMES, facts.outcome, "outcome"),
                min(max(facts.matches, 0), 255),
            ]
        )
        body += _pack_text(facts.query, MAX_QUERY_BYTES, cut=True)
        body += _pack_text(facts.summary, MAX_SUMMARY_BYTES, cut=True)
    awarded = claims.certificate
    if (claims.kind == "certificate") != (awarded is not None):
        raise TokenFormatError("certificate facts go with certificate tokens only")
    if awarded is not None:
        days = (awarded.held_on - _EPOCH_DAY).days
        if not 0 <= awarded.hours_tenths <= 0xFFFF or not 0 <= days <= 0xFFFF:
            raise TokenFormatError("hours or seminar day out of range")
        body += _pack_text(awarded.holder, MAX_HOLDER_BYTES, cut=True)
        body += _CERTIFICATE.pack(awarded.hours_tenths, days)
    return body


def sign(claims: Claims, key: SigningKey) -> str:
    body = encode_claims(claims, key.kid)
    return _b64url(body + key.private_key.sign(SIGNING_CONTEXT + body))


class _Malformed(Exception):
    pass


def _read_text(
    body: bytes, offset: int, limit: int, *, ascii_only: bool = False
) -> tuple[str, int]:
    if offset >= len(body):
        raise _Malformed
    length = body[offset]
    end = offset + 1 + length
    if length > limit or end > len(body):
        raise _Malformed
    try:
        text = body[offset + 1 : end].decode("ascii" if ascii_only else "utf-8")
    except UnicodeDecodeError as exc:
        raise _Malformed from exc
    return text, end


def _decode_claims(body: bytes) -> Claims:
    """Decode a body whose signature has verified. Raises _Malformed on any deviation."""
    _version, kind_code, _kid, issued_at, expires_at = _HEADER.unpack_from(body)
    kind = _KIND_BY_CODE[kind_code]
    subject, offset = _read_text(body, _HEADER.size, MAX_SUBJECT_BYTES)
    if not subject or issued_at > expires_at:
        raise _Malformed
    facts = None
    if kind == "receipt":
        if offset + 4 > len(body):
            raise _Malformed
        channel, query_kind, outcome, matches = body[offset : offset + 4]
        if channel >= len(CHANNELS) or query_kind >= len(QUERY_KINDS) or outcome >= len(OUTCOMES):
            raise _Malformed
        query, offset = _read_text(body, offset + 4, MAX_QUERY_BYTES)
        summary, offset = _read_text(body, offset, MAX_SUMMARY_BYTES, ascii_only=True)
        facts = ReceiptFacts(
            CHANNELS[channel], QUERY_KINDS[query_kind], OUTCOMES[outcome], matches, query, summary
        )
    awarded = None
    if kind == "certificate":
        holder, offset = _read_text(body, offset, MAX_HOLDER_BYTES)
        if offset + _CERTIFICATE.size > len(body):
            raise _Malformed
        tenths, days = _CERTIFICATE.unpack_from(body, offset)
        offset += _CERTIFICATE.size
        awarded = CertificateFacts(holder, tenths, _EPOCH_DAY + timedelta(days=days))
    if offset != len(body):
        raise _Malformed
    return Claims(kind, subject, issued_at, expires_at, facts, awarded)


def extract_token(scanned: str) -> str:
    """The token from what a scanner read: the bare token, or a verification URL ending in it."""
    text = scanned.strip()
    if SCAN_PATH in text:
        text = text.rsplit(SCAN_PATH, 1)[1]
    return text.split("?", 1)[0].split("#", 1)[0]


def verify(token: str, keys: KeySet, now: datetime | None = None) -> Verification:
    """Check a token against a key set, offline. Never raises on bad input."""
    moment = now or datetime.now(UTC)
    if len(token) > MAX_TOKEN_CHARS:
        return Verification(Verdict.INVALID, "QR-FORMAT")
    try:
        raw = _unb64url(token)
    except (ValueError, UnicodeError, binascii.Error):
        return Verification(Verdict.INVALID, "QR-FORMAT")
    if len(raw) < _HEADER.size + 2 + SIGNATURE_BYTES:
        return Verification(Verdict.INVALID, "QR-FORMAT")
    if raw[0] != FORMAT_VERSION:
        return Verification(Verdict.INVALID, "QR-VERSION")
    if raw[1] not in _KIND_BY_CODE:
        return Verification(Verdict.INVALID, "QR-TYPE")
    kid = raw[2 : 2 + KID_BYTES].hex()
    public_key = keys.verifying_key(kid, moment)
    if public_key is None:
        return Verification(Verdict.UNKNOWN_KEY, "QR-UNKNOWN-KEY", kid=kid)
    body, signature = raw[:-SIGNATURE_BYTES], raw[-SIGNATURE_BYTES:]
    try:
        public_key.verify(signature, SIGNING_CONTEXT + body)
    except InvalidSignature:
        return Verification(Verdict.INVALID, "QR-SIGNATURE", kid=kid)
    try:
        claims = _decode_claims(body)
    except (_Malformed, struct.error, KeyError):
        # Signed by us yet unreadable: only a bug in an older issuer could make this.
        return Verification(Verdict.INVALID, "QR-FORMAT", kid=kid)
    now_s = int(moment.timestamp())
    if claims.issued_at > now_s + CLOCK_SKEW_SECONDS:
        return Verification(Verdict.NOT_YET_VALID, "QR-NOT-YET-VALID", kid=kid, claims=claims)
    if now_s >= claims.expires_at:
        return Verification(Verdict.EXPIRED, "QR-EXPIRED", kid=kid, claims=claims)
    return Verification(Verdict.VALID, "QR-VALID", kid=kid, claims=claims)
