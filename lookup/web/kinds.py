"""What the officer typed into the one search box: a plate, an ID card number, a licence
number or a name.

The rules, first that applies wins (the officer can always choose the kind by hand instead):

1. `?` or `*` anywhere: a plate pattern (`?` one character, `*` any run).
2. No digit at all: a name. Diplomatic plates, State Department ID card numbers and OFM licence
   numbers all carry digits; names never do.
3. A number rather than a plate: longer than 8 characters (once spaces, hyphens and dots are
   dropped), or holding a run of 6 or more digits. A plate is a status letter and a two-letter
   country code with a few digits (DOMAIN.md), 2 to 8 characters, so it never has such a run;
   ID card numbers (one or two letters and 6 or 7 digits) and licence numbers do. A number
   that starts with `OFM` is a licence number (OFM prints its licence numbers that way), any
   other an ID card number.
4. Anything else: a plate.

These are heuristics over the formats on record. The answer says how the input was read, and a
search that finds nothing offers the same text as the other kinds of number, one tap away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from lookup.answers.service import LookupKind
from search_index.normalize import PLATE_MAX_LENGTH, PLATE_MIN_LENGTH, fold, strip_separators

Choice = Literal["auto", "plate", "credential", "license", "person"]

CHOICES: Final[tuple[tuple[Choice, str], ...]] = (
    ("auto", "Detect"),
    ("plate", "Plate"),
    ("credential", "ID card"),
    ("license", "Licence"),
    ("person", "Name"),
)
KIND_LABELS: Final[dict[str, str]] = {
    "plate": "plate",
    "plate_pattern": "partial plate",
    "credential": "State Department ID card number",
    "license": "OFM driver licence number",
    "person": "name",
}
# Short names for the answer's title.
KIND_TITLES: Final[dict[str, str]] = {
    "plate": "Plate",
    "plate_pattern": "Partial plate",
    "credential": "ID card",
    "license": "Licence",
    "person": "Name",
}
WILDCARDS: Final = frozenset("?*")
LICENCE_PREFIX: Final = "OFM"
# No plate layout leaves room for six digits in a row; card and licence numbers have them.
_DIGIT_RUN: Final = re.compile(r"[0-9]{6}")


@dataclass(frozen=True, slots=True)
class Detected:
    kind: LookupKind
    why: str  # shown beside the answer, so the officer sees how the input was read


def parse_choice(raw: str | None) -> Choice:
    for choice, _label in CHOICES:
        if raw == choice:
            return choice
    return "auto"


def detect_kind(text: str, choice: Choice = "auto") -> Detected:
    """The lookup kind for `text` (already stripped, not empty) under the officer's choice."""
    has_wildcard = any(ch in WILDCARDS for ch in text)
    if choice == "plate":
        if has_wildcard:
            return Detected("plate_pattern", "chosen: plate, with ? or *")
        return Detected("plate", "chosen: plate")
    if choice != "auto":
        return Detected(choice, f"chosen: {KIND_LABELS[choice]}")
    if has_wildcard:
        return Detected("plate_pattern", "detected: ? or * makes a partial plate")
    if not any(ch.isdigit() for ch in fold(text)):
        return Detected("person", "detected: no digits, so a name")
    compact = strip_separators(fold(text))
    if len(compact) > PLATE_MAX_LENGTH or _DIGIT_RUN.search(compact):
        if compact.startswith(LICENCE_PREFIX):
            return Detected("license", f"detected: a number starting with {LICENCE_PREFIX}")
        return Detected("credential", "detected: a number too long to be a plate")
    return Detected(
        "plate", f"detected: {PLATE_MIN_LENGTH} to {PLATE_MAX_LENGTH} letters and digits"
    )
