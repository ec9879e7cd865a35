"""Seminar sessions run by a trainer, the attendees who join them, and quiz scoring.

A session copies its seminar's quiz questions (with the answer key) when it is opened, so a trainer
editing the content during a seminar cannot change the scores of people who already answered.
Attendees have no account: they join with the session's short code and their name, agency and
badge number; the same name and badge joining again resumes the same attendance (a phone that
lost its cookie), so the roster holds one line per person.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final, Literal

from lookup.store.base import CollectionSpec, DuplicateKey, StateStore, Stored
from outreach.content_schema import Question

SESSIONS: Final = "outreach_sessions"
ATTENDEES: Final = "outreach_attendees"
SPECS: Final = (
    CollectionSpec(SESSIONS, unique=("join_code",), indexed=("trainer_id",)),
    CollectionSpec(ATTENDEES, unique=("session_badge",), indexed=("session_id",)),
)
# No 0/O, 1/I/L: the code is read off a projector and typed on a phone.
CODE_ALPHABET: Final = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH: Final = 6
SessionStatus = Literal["open", "quiz", "closed"]
STATUSES: Final = ("open", "quiz", "closed")


class SeminarError(ValueError):
    """Bad input for a session or an attendee; `field` names the form field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True, slots=True)
class QuizQuestion:
    id: str
    prompt: str
    choices: tuple[str, ...]
    answer: str
    explanation: str

    def to_document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "prompt": self.prompt,
            "choices": list(self.choices),
            "answer": self.answer,
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    trainer_id: str
    seminar: str
    title: str
    held_on: date
    hours: float
    location: str
    join_code: str
    status: SessionStatus
    questions: tuple[QuizQuestion, ...]
    version: int

    @classmethod
    def of(cls, stored: Stored) -> Session:
        data = stored.data
        return cls(
            id=stored.id,
            trainer_id=data["trainer_id"],
            seminar=data["seminar"],
            title=data["title"],
            held_on=date.fromisoformat(data["held_on"]),
            hours=float(data["hours"]),
            location=data.get("location", ""),
            join_code=data["join_code"],
            status=data["status"],
            questions=tuple(
                QuizQuestion(
                    id=q["id"],
                    prompt=q["prompt"],
                    choices=tuple(q["choices"]),
                    answer=q["answer"],
                    explanation=q["explanation"],
                )
                for q in data["questions"]
            ),
            version=stored.version,
        )


@dataclass(frozen=True, slots=True)
class Attendee:
    id: str
    session_id: str
    name: str
    agency: str
    badge: str
    joined_at: datetime
    answers: Mapping[str, str] = field(default_factory=dict)
    submitted_at: datetime | None = None

    @classmethod
    def of(cls, stored: Stored) -> Attendee:
        data = stored.data
        submitted = data.get("submitted_at")
        return cls(
            id=stored.id,
            session_id=data["session_id"],
            name=data["name"],
            agency=data["agency"],
            badge=data["badge"],
            joined_at=datetime.fromisoformat(data["joined_at"]),
            answers=dict(data.get("answers", {})),
            submitted_at=datetime.fromisoformat(submitted) if submitted else None,
        )

    def score(self, questions: Sequence[QuizQuestion]) -> int:
        return sum(1 for q in questions if self.answers.get(q.id) == q.answer)


def normalize_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def _clean(value: str, field_name: str, *, max_length: int, required: bool = True) -> str:
    text = " ".join(value.split())
    if required and not text:
        raise SeminarError(field_name, "required")
    if len(text) > max_length:
        raise SeminarError(field_name, f"at most {max_length} characters")
    return text


def open_session(
    store: StateStore,
    *,
    trainer_id: str,
    seminar: str,
    title: str,
    held_on: date,
    hours: float,
    location: str,
    questions: Iterable[Question],
) -> Session:
    if not 0 < hours <= 40:
        raise SeminarError("hours", "must be more than 0 and at most 40")
    document: dict[str, Any] = {
        "trainer_id": trainer_id,
        "seminar": seminar,
        "title": _clean(title, "title", max_length=200),
        "held_on": held_on.isoformat(),
        "hours": hours,
        "location": _clean(location, "location", max_length=200, required=False),
        "status": "open",
        "questions": [
            QuizQuestion(q.id, q.prompt, q.choices, q.answer, q.explanation).to_document()
            for q in questions
        ],
        "created_at": datetime.now(UTC).isoformat(),
    }
    for _attempt in range(20):
        document["join_code"] = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            return Session.of(store.insert(SESSIONS, document))
        except DuplicateKey:
            continue
    raise SeminarError("join_code", "could not draw an unused code; try again")


def get_session(store: StateStore, session_id: str) -> Session | None:
    stored = store.get(SESSIONS, session_id)
    return Session.of(stored) if stored else None


def find_by_code(store: StateStore, code: str) -> Session | None:
    stored = store.find_one(SESSIONS, join_code=normalize_code(code))
    return Session.of(stored) if stored else None


def sessions_of(store: StateStore, trainer_id: str) -> list[Session]:
    found = [Session.of(s) for s in store.find(SESSIONS, trainer_id=trainer_id)]
    return sorted(found, key=lambda s: s.held_on, reverse=True)


def set_status(store: StateStore, session: Session, status: str) -> Session:
    if status not in STATUSES:
        raise SeminarError("status", f"must be one of {', '.join(STATUSES)}")
    return Session.of(store.update(SESSIONS, session.id, {"status": status}))


def join(store: StateStore, session: Session, *, name: str, agency: str, badge: str) -> Attendee:
    """Add an attendee, or return the one already on the roster with this name and badge."""
    if session.status == "closed":
        raise SeminarError("code", "this session is closed")
    clean_name = _clean(name, "name", max_length=120)
    clean_agency = _clean(agency, "agency", max_length=160)
    clean_badge = _clean(badge, "badge", max_length=40)
    key = f"{session.id}:{clean_badge.casefold()}"
    existing = store.find_one(ATTENDEES, session_badge=key)
    if existing is not None:
        attendee = Attendee.of(existing)
        if attendee.name.casefold() != clean_name.casefold():
            raise SeminarError("badge", "this badge number has already joined under another name")
        return attendee
    document: dict[str, Any] = {
        "session_id": session.id,
        "session_badge": key,
        "name": clean_name,
        "agency": clean_agency,
        "badge": clean_badge,
        "joined_at": datetime.now(UTC).isoformat(),
        "answers": {},
        "submitted_at": None,
    }
    try:
        return Attendee.of(store.insert(ATTENDEES, document))
    except DuplicateKey:  # two phones joined with the same badge at the same moment
        raced = store.find_one(ATTENDEES, session_badge=key)
        if raced is None:
            raise
        return Attendee.of(raced)


def get_attendee(store: StateStore, attendee_id: str) -> Attendee | None:
    stored = store.get(ATTENDEES, attendee_id)
    return Attendee.of(stored) if stored else None


def roster(store: StateStore, session: Session) -> list[Attendee]:
    attendees = [Attendee.of(s) for s in store.find(ATTENDEES, session_id=session.id)]
    return sorted(attendees, key=lambda a: (a.name.casefold(), a.badge))


def submit_answers(
    store: StateStore, session: Session, attendee: Attendee, answers: Mapping[str, str]
) -> Attendee:
    """Record the attendee's answers once. Unknown questions and choices are 400s, not ignored."""
    if session.status != "quiz":
        raise SeminarError("quiz", "the quiz is not open")
    if attendee.submitted_at is not None:
        raise SeminarError("quiz", "your answers are already in")
    by_id = {q.id: q for q in session.questions}
    clean: dict[str, str] = {}
    for question_id, choice in answers.items():
        question = by_id.get(question_id)
        if question is None:
            raise SeminarError(question_id, "not a question of this quiz")
        if choice not in question.choices:
            raise SeminarError(question_id, "not one of the choices")
        clean[question_id] = choice
    changes = {"answers": clean, "submitted_at": datetime.now(UTC).isoformat()}
    return Attendee.of(store.update(ATTENDEES, attendee.id, changes))


@dataclass(frozen=True, slots=True)
class Progress:
    """What the room may see while a session runs: counts only, never names or answers."""

    status: SessionStatus
    joined: int
    answered: int
    questions: int

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.status,  # static/live.js swaps the page when this changes
            "status": self.status,
            "joined": self.joined,
            "answered": self.answered,
            "questions": self.questions,
        }


def progress(store: StateStore, session: Session) -> Progress:
    attendees = store.find(ATTENDEES, session_id=session.id)
    answered = sum(1 for a in attendees if a.data.get("submitted_at"))
    return Progress(session.status, len(attendees), answered, len(session.questions))


@dataclass(frozen=True, slots=True)
class QuestionStats:
    question: QuizQuestion
    answered: int
    correct: int
    counts: Mapping[str, int]  # choice -> how many picked it

    @property
    def percent_correct(self) -> int:
        return round(100 * self.correct / self.answered) if self.answered else 0


def analysis(session: Session, attendees: Sequence[Attendee]) -> list[QuestionStats]:
    """Per-question results over the attendees who submitted, in quiz order."""
    submitted = [a for a in attendees if a.submitted_at is not None]
    stats = []
    for question in session.questions:
        counts = dict.fromkeys(question.choices, 0)
        for attendee in submitted:
            picked = attendee.answers.get(question.id)
            if picked in counts:
                counts[picked] += 1
        answered = sum(counts.values())
        stats.append(QuestionStats(question, answered, counts[question.answer], counts))
    return stats
