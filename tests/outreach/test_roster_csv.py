"""The roster CSV keeps whatever attendees type, and never hands a spreadsheet a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from outreach.roster import COLUMNS, roster_csv
from outreach.seminars import Attendee, QuizQuestion, Session, normalize_code

QUESTIONS = (
    QuizQuestion("q1", "?", ("a", "b"), "a", "."),
    QuizQuestion("q2", "?", ("a", "b"), "b", "."),
)
SESSION = Session(
    id="s1",
    trainer_id="t1",
    seminar="immunity-basics",
    title="Basics",
    held_on=date(2026, 3, 14),
    hours=1.5,
    location="Room 1",
    join_code="ABC234",
    status="quiz",
    questions=QUESTIONS,
    version=1,
)
typed = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
    min_size=1,
    max_size=40,
)


@given(st.lists(st.tuples(typed, typed, typed), min_size=1, max_size=5))
def test_typed_fields_round_trip_and_no_cell_starts_a_formula(
    people: list[tuple[str, str, str]],
) -> None:
    attendees = [
        Attendee(
            id=f"a{index}",
            session_id="s1",
            name=name,
            agency=agency,
            badge=badge,
            joined_at=datetime(2026, 3, 14, 9, 0, tzinfo=UTC),
            answers={"q1": "a", "q2": "a"},
            submitted_at=datetime(2026, 3, 14, 10, 0, tzinfo=UTC),
        )
        for index, (name, agency, badge) in enumerate(people)
    ]
    rows = list(csv.reader(io.StringIO(roster_csv(SESSION, "Trainer", attendees), newline="")))
    assert tuple(rows[0]) == COLUMNS
    for row, (name, agency, badge) in zip(rows[1:], people, strict=True):
        record = dict(zip(COLUMNS, row, strict=True))
        for column, original in (("attendee_name", name), ("agency", agency), ("badge", badge)):
            defused = original.startswith(("=", "+", "-", "@", "\t", "\r"))
            assert record[column] == ("'" + original if defused else original)
        assert record["quiz_score"] == "1"
        assert record["quiz_questions"] == "2"


@given(st.from_regex(r"[A-Za-z0-9]{6}", fullmatch=True), st.sampled_from(["", " ", "-", " - "]))
def test_join_codes_are_read_loosely(code: str, separator: str) -> None:
    typed = f" {code[:3].lower()}{separator}{code[3:]} "
    assert normalize_code(typed) == code.upper()
