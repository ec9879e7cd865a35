"""What each verification outcome says. One screen per verdict, each with its own colour and words.

Every screen other than "valid" says the check failed and that this establishes nothing about the
person's immunity either way, with the 24/7 number: a forged or damaged code must never read as
"no immunity". Failed screens carry no content of the token, only a support code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lookup.qr.tokens import Verdict

Tone = Literal["good", "bad", "warn"]


@dataclass(frozen=True, slots=True)
class Screen:
    verdict: Verdict
    tone: Tone
    title: str
    message: str
    status: int  # HTTP status of the page

    @property
    def banner(self) -> str:
        """The line above the title: VALID only for a verified code, whatever else failed."""
        if self.tone == "good":
            return "\u2714 VALID"
        return "\u26a0 NOT VERIFIED" if self.tone == "warn" else "\u2716 NOT VERIFIED"


_FAILED = "Could not be verified"

SCREENS: dict[Verdict, Screen] = {
    Verdict.VALID: Screen(
        Verdict.VALID,
        "good",
        "Verified",
        "DipCheck issued this code and the record is valid today.",
        200,
    ),
    Verdict.INVALID: Screen(
        Verdict.INVALID,
        "bad",
        f"{_FAILED}: invalid code",
        "This code was not issued by DipCheck, or it has been altered or damaged.",
        200,
    ),
    Verdict.UNKNOWN_KEY: Screen(
        Verdict.UNKNOWN_KEY,
        "bad",
        f"{_FAILED}: unknown signing key",
        "This code is signed with a key DipCheck does not recognise or no longer uses.",
        200,
    ),
    Verdict.EXPIRED: Screen(
        Verdict.EXPIRED,
        "warn",
        f"{_FAILED}: code expired",
        "This code has expired. A current document carries a newer code.",
        200,
    ),
    Verdict.NOT_YET_VALID: Screen(
        Verdict.NOT_YET_VALID,
        "warn",
        f"{_FAILED}: code not yet valid",
        "This code is dated in the future. Check the time on this device.",
        200,
    ),
    Verdict.REVOKED: Screen(
        Verdict.REVOKED,
        "bad",
        f"{_FAILED}: document no longer valid",
        "The live record says this document is no longer valid.",
        200,
    ),
    Verdict.UNAVAILABLE: Screen(
        Verdict.UNAVAILABLE,
        "warn",
        "Cannot verify now",
        "DipCheck cannot check this code right now.",
        503,
    ),
}


def failure_notice(phone_label: str, phone: str) -> str:
    """The sentence every failed screen ends with."""
    return (
        "This does not establish the person's immunity status either way. "
        f"Call the {phone_label} at {phone}, or look the document up by its number."
    )


# The offline verifier (lookup/web/offline.py) has no live record: a valid code there says only
# that DipCheck issued it and that the revocation list on the phone does not name it.
OFFLINE_VALID_MESSAGE = (
    "DipCheck issued this code and it is not on the revocation list this phone holds. "
    "The live record was not checked."
)
# What a code proves, the same sentence online and offline.
PROOF_LIMIT = "A printed code proves that DipCheck issued it, not that the bearer is its holder."
