"""Seminar requests: an agency asks for a seminar through a public form; trainers schedule them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from lookup.store.base import CollectionSpec, StateStore, Stored

REQUESTS: Final = "outreach_requests"
SPECS: Final = (CollectionSpec(REQUESTS, indexed=("status",)),)
RequestStatus = Literal["new", "scheduled", "declined", "done"]
STATUSES: Final = ("new", "scheduled", "declined", "done")

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=160)]
Optional = Annotated[str, StringConstraints(strip_whitespace=True, max_length=160)]
# Enough to catch a typo; whether the address works is the trainer's reply to find out.
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]


class RequestInvalid(ValueError):
    """The form has problems: field name -> message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class SeminarRequestForm(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    agency: Short
    contact_name: Short
    contact_email: Email
    contact_phone: Optional = ""
    audience: Short = Field(description="who would attend: patrol, prosecutors, judges ...")
    attendees: int = Field(ge=1, le=1000)
    seminars: list[str] = Field(min_length=1)
    preferred_dates: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    location: Optional = ""
    notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


def validate_form(form: dict[str, Any], known_seminars: set[str]) -> SeminarRequestForm:
    """The form's fields, checked. Raises RequestInvalid naming each bad field."""
    errors: dict[str, str] = {}
    parsed: SeminarRequestForm | None = None
    try:
        parsed = SeminarRequestForm.model_validate(form)
    except ValidationError as error:
        for item in error.errors():
            name = str(item["loc"][0]) if item["loc"] else "form"
            message = str(item["msg"]).removeprefix("Value error, ")
            if item["type"] == "string_pattern_mismatch":
                message = "must be an email address"
            errors.setdefault(name, message)
    seminars = form.get("seminars") or []
    unknown = [s for s in seminars if s not in known_seminars]
    if unknown:
        errors["seminars"] = "choose seminars from the list"
    if errors or parsed is None:
        raise RequestInvalid(errors)
    return parsed


@dataclass(frozen=True, slots=True)
class SeminarRequest:
    id: str
    data: dict[str, Any]
    status: RequestStatus
    created_at: datetime
    scheduled_for: date | None

    @classmethod
    def of(cls, stored: Stored) -> SeminarRequest:
        scheduled = stored.data.get("scheduled_for")
        return cls(
            id=stored.id,
            data=stored.data,
            status=stored.data["status"],
            created_at=datetime.fromisoformat(stored.data["created_at"]),
            scheduled_for=date.fromisoformat(scheduled) if scheduled else None,
        )


def submit(store: StateStore, form: SeminarRequestForm) -> SeminarRequest:
    document = form.model_dump()
    document.update(
        status="new",
        created_at=datetime.now(UTC).isoformat(),
        scheduled_for=None,
        trainer_id=None,
        trainer_note="",
    )
    return SeminarRequest.of(store.insert(REQUESTS, document))


def list_requests(store: StateStore, status: str | None = None) -> list[SeminarRequest]:
    found = store.find(REQUESTS, status=status) if status else store.find(REQUESTS)
    return sorted((SeminarRequest.of(s) for s in found), key=lambda r: r.created_at, reverse=True)


def get_request(store: StateStore, request_id: str) -> SeminarRequest | None:
    stored = store.get(REQUESTS, request_id)
    return SeminarRequest.of(stored) if stored else None


def schedule(
    store: StateStore,
    request: SeminarRequest,
    *,
    status: str,
    scheduled_for: date | None,
    trainer_id: str,
    note: str,
) -> SeminarRequest:
    if status not in STATUSES:
        raise RequestInvalid({"status": f"must be one of {', '.join(STATUSES)}"})
    if status == "scheduled" and scheduled_for is None:
        raise RequestInvalid({"scheduled_for": "a scheduled request needs a date"})
    if len(note) > 2000:
        raise RequestInvalid({"note": "at most 2000 characters"})
    changes = {
        "status": status,
        "scheduled_for": scheduled_for.isoformat() if scheduled_for else None,
        "trainer_id": trainer_id,
        "trainer_note": note.strip(),
    }
    return SeminarRequest.of(store.update(REQUESTS, request.id, changes))
