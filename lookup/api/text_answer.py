"""The plain-text answer for terminals and message switches (`?format=text`, or an `Accept`
header that prefers `text/plain`): the same answer as the JSON, as fixed lines of at most 80
characters.

It is generated from the JSON answer itself and says what the SMS reply says, in the SMS
channel's words (lookup/answers/text/replies.py, lookup/answers/text/phrases.py), each in its
fullest form since a terminal has room for all of it: per match the plate and match quality, the
registrant, immunity and what the officer may do, card, licence, insurance and registration status.
Around the matches: what was asked, the reference to quote, the data set's date and age, and the
notice with the 24/7 number. Values from records pass through the SMS channel's GSM-7
transliteration, so a name can never carry a control character or a line break into a switch.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from flask import request

from lookup.answers.text import phrases, replies
from lookup.answers.text.gsm7 import to_gsm7
from lookup.answers.text.render import orphan_licence_reply, person_facts, plate_facts

WIDTH = 80
TEXT = "text/plain"
JSON = "application/json"
_INDENT = "   "
KIND_TITLE: Mapping[str, str] = {
    "plate": "PLATE",
    "plate_pattern": "PARTIAL PLATE",
    "credential": "ID CARD",
    "license": "LICENCE",
    "person": "NAME",
}


# Accept headers that always choose JSON, answered without parsing (curl's, most clients').
_JSON_ACCEPTS = frozenset({"", "*/*", "application/json"})


def wants_text(format_param: str | None) -> bool:
    """`format` decides when given; otherwise the Accept header, JSON when it is silent."""
    if format_param is not None:
        return format_param == "text"
    accept = request.headers.get("Accept")
    if accept is None or accept in _JSON_ACCEPTS:  # most requests: no header to parse
        return False
    return request.accept_mimetypes.best_match([JSON, TEXT]) == TEXT


def _clean(text: str) -> str:
    """One line's worth of words: GSM-7 letters, any run of (Unicode) whitespace one space."""
    return " ".join(to_gsm7(text).split())


def _lines(text: str, first: str = "", rest: str = "") -> list[str]:
    return textwrap.wrap(
        _clean(text),
        width=WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=True,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def _age(published: datetime, now: datetime) -> str:
    hours = max(0, int((now - published).total_seconds() // 3600))
    return f"{hours} h" if hours < 48 else f"{hours // 24} d"


def _match_text(kind: str, match: Mapping[str, Any], shown: str, phone: str) -> str:
    if kind in ("plate", "plate_pattern"):
        plate = plate_facts(match)
        return _with_call(replies.longest(replies.plate_parts(plate)), plate.registrant, phone)
    if kind == "license":
        person = match.get("person")
        if person is None:
            return orphan_licence_reply(shown, match["license"], "", phone)
        facts = person_facts({**person, "license": match["license"]})
    else:
        facts = person_facts(match)
    return _with_call(replies.longest(replies.person_parts(kind, facts)), facts, phone)


def _with_call(text: str, person: replies.PersonFacts | None, phone: str) -> str:
    """As the SMS reply does, a person whose status is not recorded ends with a call to make."""
    if not replies.must_call(person):
        return text
    return f"{text} {phrases.CALL} {phrases.VERIFY} {replies.sms_phone(phone)}."


def render(body: Mapping[str, Any], now: datetime | None = None) -> str:
    """One lookup's JSON answer as text lines."""
    query = body["query"]
    kind = str(query["kind"])
    shown = str(query.get("normalized") or query.get("typed") or "")
    phone = str(body["verify"]["phone"])
    published = datetime.fromisoformat(str(body["data_as_of"]).replace("Z", "+00:00"))
    age = _age(published, now or datetime.now(UTC))
    lines = [
        *_lines(f"DIPCHECK {KIND_TITLE.get(kind, kind.upper())} {shown} REASON {query['reason']}"),
        *_lines(f"REF {body['reference']} DATA AS OF {body['data_as_of']} AGE {age}"),
    ]
    matches: Sequence[Mapping[str, Any]] = body["matches"]
    if not matches:
        lines += _lines(replies.no_match_reply(kind, shown, str(body["reference"]), phone))
    for number, match in enumerate(matches, start=1):
        label = f"{number}. "
        lines += _lines(_match_text(kind, match, shown, phone), label, _INDENT)
    lines += _lines(str(body["verify"]["notice"]))
    lines += _lines(f"{body['verify']['label']}: {phone}")
    return "\n".join(lines) + "\n"


def render_batch(body: Mapping[str, Any], now: datetime | None = None) -> str:
    """A batch's answers, one block each, separated by a blank line."""
    return "\n".join(render(answer, now) for answer in body["answers"])
