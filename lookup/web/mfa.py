"""The officer's second factor: TOTP (RFC 6238) codes from an authenticator app.

The TOTP secret is drawn when the account is created (lookup/identity/accounts.py). The web login
adds two facts to the officer's stored document:

- `totp_enrolled_at`: set once the officer has scanned the secret and proved it with a code.
  Until then the first sign-in, after the password, shows the enrolment page with the QR code;
  afterwards the secret is never shown again.
- `totp_last_step`: the 30-second time step of the last code accepted. A code is accepted only
  for a later step, so a code seen over a shoulder or replayed cannot open a second session
  (CJIS IA-2(8), replay resistance).

A code is accepted from the step before to the step after the current one, for phones whose
clock drifts by up to 30 seconds.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

import pyotp
import qrcode
import qrcode.image.svg
from markupsafe import Markup

from lookup.extensions import state_store
from lookup.identity.accounts import OFFICERS, Officer

DRIFT_STEPS = 1


@dataclass(frozen=True, slots=True)
class MfaState:
    enrolled: bool
    last_step: int | None


def mfa_state(officer: Officer) -> MfaState:
    stored = state_store().get(OFFICERS, officer.id)
    data = stored.data if stored else {}
    last = data.get("totp_last_step")
    return MfaState(
        enrolled=data.get("totp_enrolled_at") is not None,
        last_step=int(last) if last is not None else None,
    )


def clean_code(raw: str | None) -> str:
    """The digits of a typed code (phones insert spaces; some apps show `123 456`)."""
    return "".join(ch for ch in (raw or "") if not ch.isspace())


def accepted_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step `code` belongs to, or None when it is wrong, stale or already used."""
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        expected = totp.generate_otp(step)
        if hmac.compare_digest(expected, code) and (last_step is None or step > last_step):
            return step
    return None


def qr_svg(uri: str) -> Markup:
    """The provisioning URI as an inline SVG (a single path; no Pillow, no inline style)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    # The SVG is the library's own output for our own URI (no user text), so it is safe to
    # embed. Its millimetre width and height are overridden by the page's CSS.
    return Markup(image.to_string(encoding="unicode"))  # noqa: S704


def secret_groups(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
