"""Item analysis of the quiz questions over every session that used them, so trainers can find
and fix bad questions.

For each question (by its id, across sessions and seminars):

- **difficulty**: the share of respondents who answered it correctly (0 to 1; higher is easier).
  A respondent is an attendee who sent answers; a question left blank counts as wrong.
- **discrimination**: the *corrected point-biserial correlation*, i.e. Pearson's r between being
  right on this question (1 or 0) and the respondent's share of correct answers on the *other*
  questions of the same session. Excluding the question itself keeps it from correlating with
  itself; using a share rather than a count lets sessions with different quizzes be pooled.
  r near 0 or negative means that people who know the material do no better on this question
  than those who do not: the question (or its key) is worth a look. It is undefined (None) when
  everyone, or no one, got the question right, or when the rest scores do not vary.

Flags use common rules of thumb: difficulty above 0.90 (too easy to teach much), below 0.30 (too
hard, or a wrong key), discrimination below 0.20 (weak).
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from lookup.http.csv_safety import spreadsheet_cell
from lookup.store.base import StateStore
from outreach import seminars
from outreach.seminars import Attendee, Session

TOO_EASY: Final = 0.90
TOO_HARD: Final = 0.30
WEAK_DISCRIMINATION: Final = 0.20
CSV_COLUMNS: Final = (
    "question_id",
    "seminar",
    "prompt",
    "sessions",
    "respondents",
    "correct",
    "difficulty",
    "discrimination",
    "flags",
)


@dataclass
class _Pooled:
    question_id: str
    seminar: str
    prompt: str
    sessions: set[str] = field(default_factory=set)
    item: list[float] = field(default_factory=list)  # 1.0 right, 0.0 wrong, per respondent
    rest: list[float] = field(default_factory=list)  # share right on the other questions


@dataclass(frozen=True, slots=True)
class ItemStats:
    question_id: str
    seminar: str
    prompt: str  # as the most recent session asked it
    sessions: int
    respondents: int
    correct: int
    difficulty: float | None
    discrimination: float | None

    @property
    def flags(self) -> tuple[str, ...]:
        found = []
        if self.difficulty is not None and self.difficulty > TOO_EASY:
            found.append("too easy")
        if self.difficulty is not None and self.difficulty < TOO_HARD:
            found.append("too hard or wrong key")
        if self.discrimination is not None and self.discrimination < WEAK_DISCRIMINATION:
            found.append("weak discrimination")
        return tuple(found)


def _correlation(item: Sequence[float], rest: Sequence[float]) -> float | None:
    if len(item) < 2 or len(set(item)) < 2 or len(set(rest)) < 2:
        return None
    return statistics.correlation(item, rest)


def item_statistics(runs: Iterable[tuple[Session, Sequence[Attendee]]]) -> list[ItemStats]:
    """Per question, over every session given (oldest first, so the newest prompt wins)."""
    pooled: dict[str, _Pooled] = {}
    for session, attendees in sorted(runs, key=lambda run: run[0].held_on):
        questions = session.questions
        for attendee in attendees:
            if attendee.submitted_at is None:
                continue
            right = {q.id: attendee.answers.get(q.id) == q.answer for q in questions}
            total = sum(right.values())
            for question in questions:
                entry = pooled.setdefault(
                    question.id, _Pooled(question.id, session.seminar, question.prompt)
                )
                entry.prompt, entry.seminar = question.prompt, session.seminar
                entry.sessions.add(session.id)
                entry.item.append(1.0 if right[question.id] else 0.0)
                others = len(questions) - 1
                if others:
                    entry.rest.append((total - right[question.id]) / others)
    results = []
    for entry in pooled.values():
        respondents = len(entry.item)
        correct = int(sum(entry.item))
        pairs = entry.item if len(entry.rest) == respondents else []
        results.append(
            ItemStats(
                question_id=entry.question_id,
                seminar=entry.seminar,
                prompt=entry.prompt,
                sessions=len(entry.sessions),
                respondents=respondents,
                correct=correct,
                difficulty=correct / respondents if respondents else None,
                discrimination=_correlation(pairs, entry.rest) if pairs else None,
            )
        )
    return sorted(results, key=lambda s: (s.seminar, s.question_id))


def all_runs(store: StateStore) -> list[tuple[Session, list[Attendee]]]:
    """Every session in the store with its attendees (all trainers: the questions are shared)."""
    sessions = [Session.of(stored) for stored in store.find(seminars.SESSIONS)]
    return [(session, seminars.roster(store, session)) for session in sessions]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def item_csv(stats: Sequence[ItemStats]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in stats:
        writer.writerow(
            [
                spreadsheet_cell(item.question_id),
                spreadsheet_cell(item.seminar),
                spreadsheet_cell(item.prompt),
                item.sessions,
                item.respondents,
                item.correct,
                _number(item.difficulty),
                _number(item.discrimination),
                "; ".join(item.flags),
            ]
        )
    return buffer.getvalue()
