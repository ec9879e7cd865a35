"""Rules on free-text query input shared by every channel and stated in the OpenAPI document.

The service (lookup/answers/service.py) enforces them for the API, web, SMS and QR alike; the API's
query models (lookup/api/schemas.py) and path parameters (lookup/openapi/spec.py) publish the same
limits, so a client generating input from the document gets no 400 the document did not announce.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from lookup.audit.records import REFERENCE_ALPHABET, REFERENCE_PREFIX
from search_index.confusables import PATTERN_MIN_KNOWN
from search_index.normalize import IDENTIFIER_MAX_LENGTH, PLATE_MAX_LENGTH, PLATE_MIN_LENGTH

# C0 and C1 control characters (and DEL): never part of a name, a country or a plate.
CONTROL_CHARACTERS: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")
NO_CONTROL_PATTERN: Final = r"^[^\x00-\x1f\x7f-\x9f]*$"
# A name searched for needs a letter or digit: normalization keeps nothing else ("name is
# empty"). Stated with an ASCII one, as the plate patterns are (accented letters count too).
NAME_PATTERN: Final = r"^[^\x00-\x1f\x7f-\x9f]*[A-Za-z0-9][^\x00-\x1f\x7f-\x9f]*$"
# Only the extended ISO form: Python's date.fromisoformat and pydantic would also take
# `19750101`, `1975-W01-1` or a Unix timestamp (`0` read as 1970-01-01).
ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ISO_DATE_PATTERN: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATE_MESSAGE: Final = "must be a date as YYYY-MM-DD"
# ASCII spellings of what normalization accepts: letters and digits between spaces, hyphens and
# dots (accented and look-alike letters are folded too, but the document states the plain form).
_SEP = "[ .-]*"
PLATE_PATTERN: Final = f"^{_SEP}(?:[A-Za-z0-9]{_SEP}){{{PLATE_MIN_LENGTH},{PLATE_MAX_LENGTH}}}$"
IDENTIFIER_PATTERN: Final = f"^{_SEP}(?:[A-Za-z0-9]{_SEP}){{1,{IDENTIFIER_MAX_LENGTH}}}$"
# At least 4 known letters or digits, at most a plate's length of fixed positions (`?` counts).
PLATE_PATTERN_PATTERN: Final = (
    f"^(?=(?:[^A-Za-z0-9]*[A-Za-z0-9]){{{PATTERN_MIN_KNOWN}}})"
    f"[ .*-]*(?:[A-Za-z0-9?][ .*-]*){{{PATTERN_MIN_KNOWN},{PLATE_MAX_LENGTH}}}$"
)


_REFERENCE_CHARS = "".join(sorted(set(REFERENCE_ALPHABET + REFERENCE_ALPHABET.lower())))
# An audit reference as the receipts route reads it (case-insensitive body).
_REFERENCE_PART = f"[{_REFERENCE_CHARS}]{{5}}"
REFERENCE_PATTERN: Final = f"^{REFERENCE_PREFIX}{_REFERENCE_PART}-{_REFERENCE_PART}$"


def check_text(value: str) -> str:
    """`value` unchanged; ValueError when it holds a control character."""
    if CONTROL_CHARACTERS.search(value):
        raise ValueError("must not contain control characters")
    return value


def parse_iso_date(raw: str) -> date:
    """A YYYY-MM-DD date; ValueError(DATE_MESSAGE) for anything else."""
    if not ISO_DATE.fullmatch(raw):
        raise ValueError(DATE_MESSAGE)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(DATE_MESSAGE) from None
