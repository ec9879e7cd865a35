"""Item analysis on a data set built by hand, whose difficulty and discrimination (corrected
point-biserial) are worked out in the comments; then the trainer's page and CSV over sessions."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, date, datetime

import pytest
from flask import Flask

from outreach.item_analysis import item_csv, item_statistics
from outreach.library import current_content
from outreach.seminars import Attendee, QuizQuestion, Session
from tests.outreach.conftest import new_trainer, sign_in
from tests.outreach.test_trainer_flow import answer, join, join_code, open_session, set_status

NOW = datetime(2026, 3, 14, 12, tzinfo=UTC)


def _question(qid: str) -> QuizQuestion:
    return QuizQuestion(qid, f"Prompt {qid}?", ("right", "wrong"), "right", "Because.")


def _session(sid: str, day: int, qids: str) -> Session:
    return Session(
        id=sid,
        trainer_id="t",
        seminar="immunity-basics",
        title="T",
        held_on=date(2026, 3, day),
        hours=1.5,
        location="",
        join_code="ABCDEF",
        status="closed",
        questions=tuple(_question(q) for q in qids),
        version=1,
    )


def _attendee(sid: str, name: str, right: str, wrong: str, *, submitted: bool = True) -> Attendee:
    answers = {q: "right" for q in right} | {q: "wrong" for q in wrong}
    return Attendee(
        id=f"{sid}-{name}",
        session_id=sid,
        name=name,
        agency="A",
        badge=name,
        joined_at=NOW,
        answers=answers,
        submitted_at=NOW if submitted else None,
    )


def constructed() -> list[tuple[Session, list[Attendee]]]:
    # Session A (questions 1, 2, 3), right answers:  a1: 1 2 3 | a2: 1 2 | a3: 2 | a4: none.
    # Session B (questions 1, 4):                    b1: 1 4   | b2: none.
    # a5 joined but never sent answers: not a respondent.
    a = _session("A", 1, "123")
    b = _session("B", 2, "14")
    return [
        (
            a,
            [
                _attendee("A", "a1", "123", ""),
                _attendee("A", "a2", "12", "3"),
                _attendee("A", "a3", "2", "13"),
                _attendee("A", "a4", "", "123"),
                _attendee("A", "a5", "123", "", submitted=False),
            ],
        ),
        (b, [_attendee("B", "b1", "14", ""), _attendee("B", "b2", "", "14")]),
    ]


def test_difficulty_and_discrimination_have_the_worked_out_values() -> None:
    stats = {item.question_id: item for item in item_statistics(constructed())}
    # Question 1, over both sessions: right 1 1 0 0 | 1 0 -> difficulty 3/6.
    # Rest shares (other questions of the session): a1 2/2, a2 1/2, a3 1/2, a4 0/2 | b1 1/1, b2 0.
    # Item deviations +-1/2; rest mean 1/2, deviations .5 0 0 -.5 | .5 -.5:
    # cov = 1/6, var(item) = 1/4, var(rest) = 1/6 -> r = (1/6) / (1/2 * sqrt(1/6)) = sqrt(2/3).
    one = stats["1"]
    assert (one.sessions, one.respondents, one.correct) == (2, 6, 3)
    assert one.difficulty == pytest.approx(0.5)
    assert one.discrimination == pytest.approx(math.sqrt(2 / 3))
    # Question 2 (session A only): right 1 1 1 0 -> 3/4; rest a1 1, a2 1/2, a3 0, a4 0:
    # item mean 3/4, rest mean 3/8; cov = (1/4*5/8 + 1/4*1/8 + 1/4*-3/8 + -3/4*-3/8)/4 = 3/32,
    # var(item) = 3/16, var(rest) = 11/64 -> r = (3/32) / sqrt(3/16 * 11/64) = 3 / sqrt(33).
    two = stats["2"]
    assert two.difficulty == pytest.approx(0.75)
    assert two.discrimination == pytest.approx(3 / math.sqrt(33))
    # Question 3: right only a1 -> 1/4; question 4: b1 right, b2 wrong, no other question in
    # session B but question 1: rest b1 1, b2 0 -> r = 1.
    assert stats["3"].difficulty == pytest.approx(0.25)
    assert stats["3"].flags == ("too hard or wrong key",)
    assert stats["4"].discrimination == pytest.approx(1.0)


def test_undefined_discrimination_is_none_not_a_number() -> None:
    everyone_right = _session("C", 3, "56")
    runs = [(everyone_right, [_attendee("C", "c1", "56", ""), _attendee("C", "c2", "56", "")])]
    stats = {item.question_id: item for item in item_statistics(runs)}
    assert stats["5"].difficulty == 1.0
    assert stats["5"].discrimination is None
    assert stats["5"].flags == ("too easy",)
    assert item_statistics([]) == []


def test_csv_has_one_row_per_question_with_the_figures() -> None:
    rows = list(csv.DictReader(io.StringIO(item_csv(item_statistics(constructed())))))
    by_id = {row["question_id"]: row for row in rows}
    assert set(by_id) == {"1", "2", "3", "4"}
    assert by_id["1"]["difficulty"] == "0.500"
    assert by_id["1"]["discrimination"] == f"{math.sqrt(2 / 3):.3f}"
    assert by_id["1"]["respondents"] == "6"
    assert by_id["3"]["flags"] == "too hard or wrong key"


def test_trainer_page_and_export_pool_the_sessions(app: Flask) -> None:
    trainer = app.test_client()
    sign_in(trainer, "ana", new_trainer(app))
    with app.test_request_context():
        questions = current_content().questions_for("immunity-basics")
    first = questions[0]
    wrong = next(c for c in first.choices if c != first.answer)
    for badges in (("1", "2"), ("3", "4")):
        session_id = open_session(trainer)
        code = join_code(trainer, session_id)
        set_status(trainer, session_id, "quiz")
        for index, badge in enumerate(badges):
            phone = join(app, code, f"Officer {badge}", badge)
            picked = {q.id: q.answer for q in questions}
            if index:
                picked[first.id] = wrong
            assert answer(phone, session_id, picked) == 302
    page = trainer.get("/outreach/trainer/item-analysis").get_data(as_text=True)
    assert f'data-question="{first.id}"' in page
    export = trainer.get("/outreach/trainer/item-analysis.csv")
    assert export.mimetype == "text/csv"
    rows = {r["question_id"]: r for r in csv.DictReader(io.StringIO(export.get_data(as_text=True)))}
    assert rows[first.id]["sessions"] == "2"
    assert rows[first.id]["respondents"] == "4"
    assert rows[first.id]["difficulty"] == "0.500"
    assert rows[questions[1].id]["difficulty"] == "1.000"
    assert app.test_client().get("/outreach/trainer/item-analysis.csv").status_code == 302
