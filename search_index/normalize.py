"""Normalization of plates, identifiers (credential and licence numbers) and names.

One rule per key, used at import time and at lookup time by every backend, so what an officer
types and what the import file holds meet in the same form:

- Unicode compatibility forms fold to their plain letters and digits (full-width `０１２`, circled,
  superscript), accents are dropped (`É` -> `E`), and Cyrillic and Greek capitals that look like
  Latin ones (`А`, `В`, `Е`, `К`, `М`, `Н`, `О`, `Р`, `С`, `Т`, `Х` ...) become those Latin letters,
  because a copy-pasted or phone-keyboard plate can carry them.
- Spaces, hyphens and dots (in any Unicode variant) are dropped; case is ignored.
- Anything else is an error: a plate is `[A-Z0-9]`, 2 to 8 characters (DOMAIN.md).
"""

from __future__ import annotations

import re
import unicodedata

PLATE_MIN_LENGTH = 2
PLATE_MAX_LENGTH = 8
IDENTIFIER_MAX_LENGTH = 32

# Latin look-alikes from the Greek and Cyrillic blocks, upper and lower case. Only letters whose
# capital form is visually the same as a Latin capital are listed: a human reading a plate or a card
# sees the Latin letter.
_LOOKALIKES = {
    # Cyrillic
    "А": "A", "а": "A", "В": "B", "в": "B", "Е": "E", "е": "E", "Ё": "E", "ё": "E",
    "К": "K", "к": "K", "М": "M", "м": "M", "Н": "H", "н": "H", "О": "O", "о": "O",
    "Р": "P", "р": "P", "С": "C", "с": "C", "Т": "T", "т": "T", "Х": "X", "х": "X",
    "У": "Y", "у": "Y", "І": "I", "і": "I", "Ј": "J", "ј": "J", "Ѕ": "S", "ѕ": "S",
    "Ԛ": "Q", "ԛ": "Q", "Ԝ": "W", "ԝ": "W",
    # Greek
    "Α": "A", "α": "A", "Β": "B", "β": "B", "Ε": "E", "ε": "E", "Ζ": "Z", "ζ": "Z",
    "Η": "H", "η": "H", "Ι": "I", "ι": "I", "Κ": "K", "κ": "K", "Μ": "M", "μ": "M",
    "Ν": "N", "ν": "N", "Ο": "O", "ο": "O", "Ρ": "P", "ρ": "P", "Τ": "T", "τ": "T",
    "Υ": "Y", "υ": "Y", "Χ": "X", "χ": "X",
}  # fmt: skip
_LOOKALIKE_TABLE = str.maketrans(_LOOKALIKES)

# Separators people type inside plates and numbers: every Unicode space, and hyphen and dot
# variants that compatibility folding leaves alone (NFKD already maps full-width `－` and `．`).
_HYPHENS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"
_DOTS = ".\u00b7\u2022\u2024\u2027\u3002\u30fb"
_SEPARATORS = frozenset(_HYPHENS + _DOTS)

_KEY = re.compile(r"[A-Z0-9]+")


def fold(raw: str) -> str:
    """Compatibility-fold, drop accents and map Greek/Cyrillic look-alikes, then upper-case.

    The shared first step of plate and identifier normalization (pattern parsing uses it too)."""
    # Upper-casing can itself produce decomposable characters (and NFKD lower-case ones), so
    # decompose on both sides of it.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", raw).upper())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.translate(_LOOKALIKE_TABLE).upper()


def strip_separators(text: str) -> str:
    """`text` without spaces, hyphens and dots."""
    return "".join(ch for ch in text if not (ch.isspace() or ch in _SEPARATORS))


def _key(raw: str, what: str) -> str:
    kept = strip_separators(fold(raw))
    if not kept:
        raise ValueError(f"{what} is empty")
    if not _KEY.fullmatch(kept):
        raise ValueError(f"{what} may hold only letters, digits, spaces, hyphens and dots")
    return kept


def normalize_plate(raw: str) -> str:
    """A diplomatic plate as `[A-Z0-9]{2,8}`; ValueError when nothing valid remains."""
    plate = _key(raw, "plate")
    if not PLATE_MIN_LENGTH <= len(plate) <= PLATE_MAX_LENGTH:
        raise ValueError(
            f"plate must have {PLATE_MIN_LENGTH} to {PLATE_MAX_LENGTH} letters or digits"
        )
    return plate


def normalize_identifier(raw: str) -> str:
    """A State Department ID card number or OFM licence number as `[A-Z0-9]{1,32}`."""
    identifier = _key(raw, "number")
    if len(identifier) > IDENTIFIER_MAX_LENGTH:
        raise ValueError(f"number must have at most {IDENTIFIER_MAX_LENGTH} letters or digits")
    return identifier


# Latin letters that carry no combining mark, so NFKD alone does not reduce them to ASCII.
_NAME_LETTERS = str.maketrans(
    {
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "ħ": "h",
        "ı": "i",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
        "ŋ": "n",
        "ŧ": "t",
    }
)
_NAME_NOISE = re.compile(r"[^\w]+|_+")


def normalize_name(raw: str) -> str:
    """A name reduced to accent-free, case-folded words separated by single spaces.

    Apostrophes, hyphens and other punctuation separate words (`O'Neil-Smith` -> `o neil smith`).
    ValueError when no letter or digit remains."""
    # Unicode's compatibility caseless matching: NFKD(casefold(NFKD(casefold(NFD(x))))).
    nfd = unicodedata.normalize("NFD", raw)
    once = unicodedata.normalize("NFKD", nfd.casefold())
    decomposed = unicodedata.normalize("NFKD", once.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = _NAME_NOISE.sub(" ", stripped.translate(_NAME_LETTERS)).split()
    if not words:
        raise ValueError("name is empty")
    return " ".join(words)


def name_tokens(raw: str) -> list[str]:
    """The words of normalize_name(raw)."""
    return normalize_name(raw).split(" ")


def indexed_name_words(raw: str) -> list[str]:
    """The words a backend indexes a person's name under: none for a name without letters or
    digits (the importer refuses those, but a Dataset built in code may hold one), so every
    backend stores such a person, found by number and never by name."""
    try:
        return name_tokens(raw)
    except ValueError:
        return []
