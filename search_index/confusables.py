"""Confusion-aware matching of plates, ID card numbers and licence numbers, shared by every
backend (DOMAIN.md "Diplomatic plates").

Officers misread the same characters that licence-plate readers do. A plate that differs from the
typed one only at positions where both characters belong to one confusion class, at no more than
`MAX_SUBSTITUTIONS` positions, is a `confusable` candidate.

How a backend uses this module:

1. Index every normalized plate under `confusable_key(plate)`: plates that differ only by
   confusable characters share one key, so candidates are a single point lookup.
2. For the typed plate, fetch the vehicles stored under `confusable_key(typed)` and pass them to
   `rank_plate_candidates`: it keeps those for which `substitutions(typed, plate)` is not None
   (it returns None past the cap) and orders them with `rank_key`, whose score is
   `confusable_score(subs)`.
   ID card and licence numbers get the same treatment: index `confusable_key(number)`, fetch
   the records under the typed number's key, and rank them with `rank_number_candidates`.
3. For `?`/`*` patterns, `parse_plate_pattern` validates the input once and gives the forms each
   backend needs: a compiled regex and an SQLite GLOB / Elasticsearch wildcard string. A
   backend's shortlist goes through `rank_pattern_candidates`, which keeps the true matches and
   orders them the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from search_index.normalize import PLATE_MAX_LENGTH, fold, strip_separators
from search_index.records import MatchKind, NumberMatch, PlateMatch, Substitution, Vehicle

R = TypeVar("R")

MAX_SUBSTITUTIONS = 2

# Each class lists its members; the first is the representative used in confusable_key().
CONFUSION_CLASSES: tuple[str, ...] = ("0ODQ", "1I", "2Z", "5S", "8B", "6G", "EF", "UV")

_REPRESENTATIVE = {ch: group[0] for group in CONFUSION_CLASSES for ch in group}
_KEY_TABLE = str.maketrans(_REPRESENTATIVE)

# What one substitution costs in the score. Digit/letter pairs that plate fonts render nearly
# alike (0/O, 1/I, 8/B, 5/S, 2/Z) are the likeliest misreadings and cost least; the letter pairs
# and the remaining members of the 0/O/D/Q class cost more, so the likelier candidate ranks first.
_LIKELY_PAIRS = frozenset(
    frozenset(pair) for pair in ("0O", "1I", "8B", "5S", "2Z", "6G", "0D", "OD")
)
LIKELY_COST = 0.10
OTHER_COST = 0.15


def confusion_class(ch: str) -> str:
    """The class representative of a character (the character itself when it has no class)."""
    return _REPRESENTATIVE.get(ch, ch)


def confusable_key(plate: str) -> str:
    """Each character of a normalized plate replaced by its class representative."""
    return plate.translate(_KEY_TABLE)


def substitutions(typed: str, candidate: str) -> tuple[Substitution, ...] | None:
    """The confusable positions where `candidate` differs from `typed` (both normalized).

    None when the lengths differ, when a differing pair is not in one confusion class, or when
    more than MAX_SUBSTITUTIONS positions differ. An empty tuple means the plates are equal."""
    if len(typed) != len(candidate):
        return None
    found: list[Substitution] = []
    for position, (t, c) in enumerate(zip(typed, candidate, strict=True)):
        if t == c:
            continue
        if confusion_class(t) != confusion_class(c) or len(found) == MAX_SUBSTITUTIONS:
            return None
        found.append(Substitution(position=position, typed=t, matched=c))
    return tuple(found)


def substitution_cost(sub: Substitution) -> float:
    return LIKELY_COST if frozenset((sub.typed, sub.matched)) in _LIKELY_PAIRS else OTHER_COST


def confusable_score(subs: tuple[Substitution, ...]) -> float:
    """1.0 for an exact match, minus the cost of each substitution (0.70 at the lowest)."""
    return round(1.0 - sum(substitution_cost(s) for s in subs), 4)


def rank_key(score: float, plate: str) -> tuple[float, str]:
    """Sort key for candidates: best score first, then the plate, so ties order the same way
    on every backend."""
    return (-score, plate)


def _best_first(matches: list[PlateMatch], limit: int) -> list[PlateMatch]:
    matches.sort(key=lambda m: rank_key(m.score, m.vehicle.plate))
    return matches[:limit]


def rank_plate_candidates(
    plate: str, candidates: Iterable[Vehicle], limit: int
) -> list[PlateMatch]:
    """The candidates that are the normalized `plate` or one of its confusable look-alikes, as
    matches, the exact plate first, then best score first."""
    matches = []
    for vehicle in candidates:
        subs = substitutions(plate, vehicle.plate)
        if subs is None:
            continue
        kind: MatchKind = "confusable" if subs else "exact"
        matches.append(PlateMatch(kind, confusable_score(subs), vehicle, subs))
    return _best_first(matches, limit)


def rank_number_candidates(
    number: str, candidates: Iterable[R], number_of: Callable[[R], str | None], limit: int
) -> list[NumberMatch[R]]:
    """The candidates whose number (`number_of`) is the normalized `number` or differs from it
    only by confusable characters, at most MAX_SUBSTITUTIONS of them: the exact one first, then
    best score first, ties by number."""
    ranked: list[tuple[tuple[float, str], NumberMatch[R]]] = []
    for record in candidates:
        own = number_of(record)
        subs = substitutions(number, own) if own else None
        if own is None or subs is None:
            continue
        score = confusable_score(subs)
        found = NumberMatch("confusable" if subs else "exact", score, record, subs)
        ranked.append((rank_key(score, own), found))
    ranked.sort(key=lambda pair: pair[0])
    return [found for _key, found in ranked[:limit]]


# -- partial patterns --------------------------------------------------------------------------

PATTERN_MIN_KNOWN = 4
_PATTERN_CHARS = re.compile(r"[A-Z0-9?*]+")


@dataclass(frozen=True, slots=True)
class PlatePattern:
    """A validated `?`/`*` plate pattern.

    `text` is the normalized pattern (`[A-Z0-9?*]`, runs of `*` collapsed). It is directly an
    SQLite GLOB pattern and an Elasticsearch `wildcard` value, both of which use `?` and `*`."""

    text: str
    regex: re.Pattern[str]
    known: int

    def matches(self, plate: str) -> bool:
        return self.regex.fullmatch(plate) is not None

    def score(self, plate: str) -> float:
        """The share of the plate that the pattern's known characters pin down, so a match that
        leaves less to chance ranks first."""
        return round(self.known / max(len(plate), 1), 4)


def parse_plate_pattern(raw: str) -> PlatePattern:
    """Validate officer input such as `D?12*` (ValueError with a readable message otherwise).

    Separators and case are normalized like plates; at least PATTERN_MIN_KNOWN letters or digits
    must be known."""
    kept = strip_separators(fold(raw))
    if not kept:
        raise ValueError("pattern is empty")
    if not _PATTERN_CHARS.fullmatch(kept):
        raise ValueError("pattern may hold only letters, digits, ? and *")
    text = re.sub(r"\*+", "*", kept)
    known = sum(ch not in "?*" for ch in text)
    if known < PATTERN_MIN_KNOWN:
        raise ValueError(f"pattern needs at least {PATTERN_MIN_KNOWN} known letters or digits")
    fixed_length = sum(ch != "*" for ch in text)
    if fixed_length > PLATE_MAX_LENGTH:
        raise ValueError(f"pattern is longer than a plate ({PLATE_MAX_LENGTH} characters)")
    body = "".join("." if ch == "?" else ".*" if ch == "*" else ch for ch in text)
    return PlatePattern(text=text, regex=re.compile(body), known=known)


def rank_pattern_candidates(
    pattern: PlatePattern, candidates: Iterable[Vehicle], limit: int
) -> list[PlateMatch]:
    """The candidates (a backend's shortlist) whose plate matches the pattern, as partial
    matches, best score first."""
    matches = [
        PlateMatch("partial", pattern.score(v.plate), v)
        for v in candidates
        if pattern.matches(v.plate)
    ]
    return _best_first(matches, limit)
