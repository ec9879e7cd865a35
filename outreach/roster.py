"""The attendance roster as CSV, for filing continuing-education credit with a state board."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Final

from lookup.http.csv_safety import spreadsheet_cell
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
        # Attendees type their own names: every cell is defused.
        writer.writerow([spreadsheet_cell(value) for value in row])
    return out.getvalue()
