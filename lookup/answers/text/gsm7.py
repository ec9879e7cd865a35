"""The GSM 03.38 (3GPP TS 23.038) default alphabet: what fits one SMS segment.

A message is sent as GSM-7 only when every character is in the basic table or its extension
table; a single other character (an em dash, a curly quote, a Cyrillic letter) switches the
whole message to UCS-2 and cuts a segment from 160 characters to 70. Extension characters are
sent as an escape plus the character, so they count as two septets.
"""

from __future__ import annotations

import unicodedata

SEGMENT_SEPTETS = 160

# The 127 printable characters of the basic table, in code-point order 0x00..0x7F; 0x1B is the
# escape to the extension table and is not a character of its own.
BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ" + "ÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
EXTENSION = frozenset("\f^{}\\[~]|€")

# Characters that Unicode decomposition does not fold to a GSM-7 character but that have an
# obvious plain spelling (names from the State Department list and punctuation pasted from
# word processors).
_SPELLED = {
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "Ð": "D",
    "ð": "d",
    "Þ": "TH",
    "þ": "th",
    "Œ": "OE",
    "œ": "oe",
    "ı": "i",
    "Ħ": "H",
    "ħ": "h",
    "ŧ": "t",
    "Ŧ": "T",
    "ŋ": "n",
    "Ŋ": "N",
    "ĸ": "k",
    "ſ": "s",
    "‘": "'",
    "’": "'",
    "‚": ",",
    "‛": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "−": "-",
    "…": "...",
    "\u00a0": " ",
    "\t": " ",
    "ʻ": "'",
    "ʼ": "'",
    "`": "'",
    "´": "'",
}


class NotGsm7(ValueError):
    """The text holds a character outside the GSM-7 tables."""

    def __init__(self, position: int, char: str) -> None:
        super().__init__(f"character U+{ord(char):04X} at {position} is not GSM-7")
        self.position = position
        self.char = char


def septets(text: str) -> int:
    """How many septets `text` takes as GSM-7; raises NotGsm7 for any other character."""
    total = 0
    for position, char in enumerate(text):
        if char in BASIC:
            total += 1
        elif char in EXTENSION:
            total += 2
        else:
            raise NotGsm7(position, char)
    return total


def fits_one_segment(text: str) -> bool:
    """True when `text` is pure GSM-7 and at most 160 septets."""
    try:
        return septets(text) <= SEGMENT_SEPTETS
    except NotGsm7:
        return False


def to_gsm7(text: str) -> str:
    """Transliterate `text` into the GSM-7 basic table: characters already in it stay (é, Ñ),
    others lose their accents (ş -> s), get a plain spelling (Ł -> L, — -> -) or are dropped.
    Extension characters are dropped too, since they cost two septets and no reply needs them."""
    out: list[str] = []
    for char in text:
        if char in BASIC and char not in "\r\n":
            out.append(char)
        elif char in "\r\n":
            out.append(" ")
        elif char in _SPELLED:
            out.append(_SPELLED[char])
        else:
            folded = unicodedata.normalize("NFKD", char)
            out.extend(part for part in folded if part in BASIC and part not in "\r\n")
    return "".join(out)


def clip(text: str, limit: int) -> str:
    """The longest prefix of a GSM-7 string that takes at most `limit` septets."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if char in EXTENSION else 1
        if used > limit:
            return text[:index]
    return text
