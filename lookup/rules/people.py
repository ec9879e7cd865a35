"""How a person is named and whether their accreditation is in force on a given day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from search_index.records import AccreditationStatus, Person

# `ended` and `not_started` are what a recorded `active` reads as outside its own dates, the same
# way an `active` registration past its expiry reads `expired`.
AccreditationToday = Literal[AccreditationStatus, "ended", "not_started"]

_ACCREDITATION_LABELS: dict[AccreditationToday, str] = {
    "active": "Accredited",
    "pending": "Accreditation pending",
    "terminated": "Accreditation terminated",
    "ended": "Accreditation ended",
    "not_started": "Accreditation not yet started",
}


@dataclass(frozen=True, slots=True)
class Accreditation:
    status: AccreditationToday
    recorded_status: str
    label: str
    start: date | None
    end: date | None

    @property
    def active(self) -> bool:
        return self.status == "active"


def display_name(person: Person) -> str:
    """ "Family, Given" as on a roster; just the family name when no given names are recorded."""
    if person.given_names:
        return f"{person.family_name}, {person.given_names}"
    return person.family_name


def accreditation_on(person: Person, today: date) -> Accreditation:
    """The accreditation as of `today`. The end date is the last accredited day."""
    status: AccreditationToday = person.accreditation_status
    if status == "active":
        if person.accreditation_start is not None and person.accreditation_start > today:
            status = "not_started"
        elif person.accreditation_end is not None and person.accreditation_end < today:
            status = "ended"
    return Accreditation(
        status=status,
        recorded_status=person.accreditation_status,
        label=_ACCREDITATION_LABELS[status],
        start=person.accreditation_start,
        end=person.accreditation_end,
    )
