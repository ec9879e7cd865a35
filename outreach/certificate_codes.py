"""Certificate numbers and the signed QR code printed on each certificate.

A certificate's number comes from its attendance record (the same number every time it is printed),
and its QR code is a token of kind "certificate" signed with the QR key ring the ID cards and
lookup receipts use (lookup/qr). Anyone who scans it lands on the ordinary `/v/` page, which checks
the signature and shows the number, the holder's name, the hours and the seminar's day: altering
any of them breaks the signature. A certificate needs no live record, so it never expires; a
certificate signed by a key that was later retired must be printed again.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from lookup.qr import render
from lookup.qr.key_ring import base_url, keystore
from lookup.qr.keys import SigningKey
from lookup.qr.receipts import verification_url
from lookup.qr.tokens import CertificateFacts, Claims, sign
from outreach.seminars import CODE_ALPHABET, Attendee, Session

NUMBER_PREFIX: Final = "TC-"
NUMBER_LENGTH: Final = 10
NEVER: Final = 0xFFFFFFFF  # the token format's last second (2106)
# The holder's name is cut (UTF-8 bytes, on a character boundary) until the code fits the QR
# version limit: a long public URL leaves less room. The printed name stays whole.
HOLDER_CUTS: Final = (32, 24, 16, 8)


@dataclass(frozen=True, slots=True)
class CertificateCode:
    number: str
    url: str  # the /v/ address the QR code holds
    png_data_uri: str  # the QR code, for an <img> (the page's policy allows data: images)


def certificate_number(attendee: Attendee) -> str:
    """TC- and ten characters of the same unambiguous alphabet as join codes, from the record."""
    digest = int.from_bytes(hashlib.sha256(f"certificate:{attendee.id}".encode()).digest())
    chars = []
    for _ in range(NUMBER_LENGTH):
        digest, index = divmod(digest, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[index])
    return NUMBER_PREFIX + "".join(chars)


def _cut(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _signed_code(
    session: Session, attendee: Attendee, number: str, key: SigningKey, base: str, now: int
) -> CertificateCode:
    for limit in HOLDER_CUTS:
        holder = _cut(attendee.name, limit)
        facts = CertificateFacts(holder, round(session.hours * 10), session.held_on)
        token = sign(Claims("certificate", number, now, NEVER, certificate=facts), key)
        url = verification_url(base, token)
        try:
            png = render.png(url, box_size=8)
        except render.QrTooLarge:
            continue
        uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        return CertificateCode(number, url, uri)
    raise render.QrTooLarge("the certificate does not fit a QR code: shorten DIPCHECK_PUBLIC_URL")


def certificate_codes(session: Session, attendees: list[Attendee]) -> dict[str, CertificateCode]:
    """attendee id -> number and QR code. Raises KeyStoreError when there is no signing key."""
    key = keystore().signer()
    base = base_url()
    now = int(datetime.now(UTC).timestamp())
    codes = {}
    for attendee in attendees:
        number = certificate_number(attendee)
        codes[attendee.id] = _signed_code(session, attendee, number, key, base, now)
    return codes
