"""What an officer's text message asks for.

Grammar (case, extra spaces and punctuation do not matter):

    STOP | START | HELP (and the carriers' synonyms)   control words, never looked up
    P <plate> [reason]                                   plate
    ID <card number> [reason]                            State Department ID card
    DL <licence number> [reason]                         OFM driver licence
    <plate> [reason]                                     bare plate: must hold a digit

A bare message is taken as a plate only when it holds a digit (every diplomatic plate does), so a
stray "OK" or "THANKS" is answered with the usage line instead of a plate search. A prefix needs a
separator ("P ABC123", "P:ABC123"): "DL1234" is a bare plate, since plates may start with those
letters. The optional last word names the purpose of the lookup; without it the purpose is a
traffic stop, the usual reason an officer at the roadside texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from search_index.normalize import fold

ControlWord = Literal["stop", "start", "help"]
LookupKind = Literal["plate", "credential", "license"]

DEFAULT_REASON = "traffic_stop"

# The keywords carriers and Twilio treat as opt-out, opt-in and help (single-word messages).
CONTROL_WORDS: dict[str, ControlWord] = {
    **dict.fromkeys(
        ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"), "stop"
    ),
    **dict.fromkeys(("START", "YES", "UNSTOP"), "start"),
    **dict.fromkeys(("HELP", "INFO"), "help"),
}

PREFIXES: dict[str, LookupKind] = {
    "P": "plate",
    "PLATE": "plate",
    "ID": "credential",
    "CARD": "credential",
    "DL": "license",
    "LIC": "license",
}

# Trailing words naming the API's reasons. Only whole words of five letters or more (or the
# API code itself), so the last group of a plate typed with a space is never taken for one.
REASON_WORDS: dict[str, str] = {
    "TRAFFIC": "traffic_stop",
    "TRAFFIC_STOP": "traffic_stop",
    "CRASH": "crash",
    "COLLISION": "crash",
    "ACCIDENT": "crash",
    "INVESTIGATION": "investigation",
    "CITATION": "citation_follow_up",
    "CITATION_FOLLOW_UP": "citation_follow_up",
    "FOLLOWUP": "citation_follow_up",
    "WARRANT": "warrant_service",
    "WARRANT_SERVICE": "warrant_service",
    "TRAINING": "training",
    "OTHER": "other",
}

MAX_MESSAGE_CHARS = 200  # a lookup command is a few dozen characters; longer is not one

# Punctuation people put between a prefix and its value or around the message ("P: ABC-123.",
# "ID#12345", "'DL 5512'"). Hyphens and dots inside a value are dropped by the normalizers too.
_PUNCTUATION = re.compile(r"[\s:;,#.!?'\"()\[\]{}<>/\\|*+=~`^-]+")


@dataclass(frozen=True, slots=True)
class Control:
    word: ControlWord
    typed: str


@dataclass(frozen=True, slots=True)
class Lookup:
    kind: LookupKind
    value: str  # the value as typed, separators removed; the lookup service normalizes it
    reason: str


@dataclass(frozen=True, slots=True)
class Unrecognized:
    """Nothing to look up: the officer gets the usage line."""

    why: Literal["empty", "too_long", "no_value", "not_a_plate"]


Command = Control | Lookup | Unrecognized


def _words(body: str) -> list[str]:
    # Full-width letters, Cyrillic look-alikes and accents from phone keyboards fold to plain
    # capitals first, so "ｐ АВС123" reads as "P ABC123".
    folded = fold(body)
    return [word for word in _PUNCTUATION.split(folded) if word]


def parse(body: str) -> Command:
    if len(body) > MAX_MESSAGE_CHARS:
        return Unrecognized("too_long")
    words = _words(body)
    if not words:
        return Unrecognized("empty")
    if len(words) == 1 and words[0] in CONTROL_WORDS:
        return Control(CONTROL_WORDS[words[0]], words[0])

    kind: LookupKind = "plate"
    prefixed = words[0] in PREFIXES
    if prefixed:
        kind = PREFIXES[words[0]]
        words = words[1:]

    reason = DEFAULT_REASON
    if len(words) > 1 and words[-1] in REASON_WORDS:
        reason = REASON_WORDS[words[-1]]
        words = words[:-1]

    if not words:
        return Unrecognized("no_value")
    value = "".join(words)
    if not prefixed and not any(char.isdigit() for char in value):
        return Unrecognized("not_a_plate")
    return Lookup(kind, value, reason)
