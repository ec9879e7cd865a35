"""The officer's language rule for every text attendees and officers read: slides, trainer notes,
handouts, scenarios, quiz questions and the pocket card.

Officers read "only for a felony, with a warrant", not `felony_warrant_only`. Two things give a
machine code away and are refused by the content check:

- a backtick: Markdown shows the text inside as computer code, so content never needs one;
- a word joined by underscores (`arrest_or_detain`, `lost_or_stolen`): that is how the API and the
  rules file spell their codes, and no English word is written that way.

Single-word codes (`full`, `none`, `yes`) are also plain English, so they pass when written without
backticks. The codes themselves stay in the API documentation (the OpenAPI document and README).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Final

from lookup.rules.immunity import ImmunityMatrix
from outreach.markdown_render import PLACEHOLDER

# Lower-case words joined by underscores; %VERIFY_PHONE% placeholders are upper case and cut first.
RAW_CODE: Final = re.compile(r"(?<![\w/.-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")
# Link targets are addresses, not prose: `[text](/outreach/...)` keeps only its text.
_LINK_TARGET: Final = re.compile(r"\]\([^)\s]*\)")


def plain_words(matrix: ImmunityMatrix) -> dict[str, str]:
    """code -> the words the rules file itself uses for it (what to write instead)."""
    words: dict[str, str] = {}
    for spec in matrix.actions.values():
        words[spec.code] = spec.label
        for value in spec.values.values():
            words.setdefault(value.code, value.text)
    for level in matrix.levels.values():
        words.setdefault(level.code, level.label)
    for rule in matrix.categories.values():
        words.setdefault(rule.code, rule.label)
    return words


def problems_in(text: str, words: Mapping[str, str]) -> Iterator[tuple[int, str]]:
    """(line offset from the start of `text`, message) for each backtick run and raw code."""
    cleaned = _LINK_TARGET.sub(lambda m: "](" + " " * (len(m.group(0)) - 3) + ")", text)
    cleaned = PLACEHOLDER.sub(lambda m: " " * len(m.group(0)), cleaned)
    for number, line in enumerate(cleaned.split("\n")):
        if "`" in line:
            yield number, "no backticks: they show computer code; write it in plain words"
        for match in RAW_CODE.finditer(line):
            code = match.group(0)
            hint = words.get(code)
            instead = f" (the rules file says: {hint!r})" if hint else ""
            yield number, f"{code!r} is an API code; write it in the officer's words{instead}"
