"""Which card an answer opens on: one decision for every channel that shows an answer (the
officer web, the QR full record, training mode and SMS), so they open the same answer the same way.

A card is one of `plate`, `plate_candidates`, `person`, `person_candidates`, `license`,
`number_candidates` or `no_match`. A channel that cannot ask back (SMS: one reply, no follow-up
choice) says so with the two keywords of `choose_view`; the decision itself is the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class AnswerView:
    """Which card an answer opens on, and the matches it shows."""

    # plate | plate_candidates | person | person_candidates | license | number_candidates |
    # no_match
    view: str
    matches: list[Mapping[str, Any]]
    similar: list[Mapping[str, Any]]


def choose_view(
    kind: str,
    matches: Sequence[Mapping[str, Any]],
    pick: str = "",
    *,
    lists_people: bool = True,
    opens_lone_plate: bool = False,
) -> AnswerView:
    """The card an answer of `kind` opens on. `pick`: the person the officer chose from a list.
    A channel that cannot ask back sets `lists_people=False` (a name search opens on its best
    match) and `opens_lone_plate=True` (a single look-alike plate is answered as that plate)."""
    if not matches:
        return AnswerView("no_match", [], [])
    if kind == "plate":
        exact = [m for m in matches if m["match"] == "exact"]
        if exact:
            return AnswerView("plate", exact[:1], [m for m in matches if m is not exact[0]])
        if opens_lone_plate and len(matches) == 1:
            return AnswerView("plate", list(matches), [])
        return AnswerView("plate_candidates", list(matches), [])
    if kind == "plate_pattern":
        return AnswerView("plate_candidates", list(matches), [])
    if kind in ("credential", "license"):
        exact = [m for m in matches if m.get("match", "exact") == "exact"]
        if exact:
            view = "license" if kind == "license" else "person"
            return AnswerView(view, exact[:1], [m for m in matches if m is not exact[0]])
        return AnswerView("number_candidates", list(matches), [])
    if kind == "person":
        picked = [m for m in matches if pick and m["person_id"] == pick]
        if picked:
            return AnswerView("person", picked, [])
        if lists_people and len(matches) > 1:
            return AnswerView("person_candidates", list(matches), [])
    return AnswerView("person", list(matches[:1]), [])
