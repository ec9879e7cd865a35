"""The attendance roster as CSV, for filing continuing-education credit with a state board."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Final

from outreach.seminars import Attendee, Session

COLUMNS: Final = (
    "session_code",
    "seminar",
    "title",
    "date",
    "hours",
    "location",
    "trainer",
    "attendee_name",
    "agency",
    "badge",
    "joined_at_utc",
    "quiz_submitted",
    "quiz_score",
    "quiz_questions",
)
# A cell that starts with one of these is a formula in a spreadsheet; attendees type their own
# names, so every cell is defused (OWASP "CSV injection").
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def roster_csv(session: Session, trainer_name: str, attendees: Sequence[Attendee]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for attendee in attendees:
        row = (
            session.join_code,
            session.seminar,
            session.title,
            session.held_on.isoformat(),
            f"{session.hours:g}",
            session.location,
            trainer_name,
            attendee.name,
            attendee.agency,
            attendee.badge,
            attendee.joined_at.isoformat(timespec="seconds"),
            "yes" if attendee.submitted_at else "no",
            attendee.score(session.questions) if attendee.submitted_at else "",
            len(session.questions),
        )
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()
