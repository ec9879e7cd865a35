"""Pydantic models of the incident routes (DESIGN.md "Incidents and OFM review"): the request
bodies, validated strictly (a string where a boolean belongs is refused, not coerced; an unknown
field is refused, so a misspelt one is never silently dropped), and the answers, which also
generate the OpenAPI document."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Literal, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

IncidentKind = Literal["moving_violation", "dui_dwi", "crash", "criminal", "parking", "other"]
Decision = Literal["points_assessed", "no_action", "waiver_requested", "referred"]
Status = Literal["submitted", "assessed"]
ReportTo = Literal["ofm", "usun"]
DECISIONS: tuple[str, ...] = get_args(Decision)
MAX_POINTS = 12
# Control characters other than tab and line breaks: never part of a report someone typed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# The document states the range _in_range keeps as a pattern on the year, 2001 to 2999: early
# on 1 January 2000 east of UTC is still 1999 in UTC, and no offset takes a year of 2999 out of
# range; so a time the document calls valid is never refused for its range.
YEAR_PATTERN = r"^2(?:0(?:0[1-9]|[1-9][0-9])|[1-9][0-9]{2})-"
ReportTime = Annotated[
    AwareDatetime,
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": YEAR_PATTERN}),
]


def _in_range(value: datetime | None) -> datetime | None:
    """A time that converts to UTC (year 1 at +05:00 does not) and is not before 2000."""
    if value is None:
        return None
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range") from None
    if utc < EARLIEST:
        raise ValueError("lies before 2000") from None
    return value


def _clean_text(value: str | None) -> str | None:
    if value is None:
        return None
    if _CONTROL.search(value):
        raise ValueError("may not hold control characters")
    stripped = value.strip()
    return stripped or None


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: object) -> object:
        return _clean_text(value) if isinstance(value, str) else value


class SubjectIn(_In):
    person_id: str | None = Field(default=None, min_length=1, max_length=64)
    credential_number: str | None = Field(default=None, min_length=1, max_length=64)
    license_number: str | None = Field(default=None, min_length=1, max_length=64)
    plate: str | None = Field(default=None, min_length=1, max_length=16)

    @model_validator(mode="after")
    def _at_least_one(self) -> SubjectIn:
        if not any((self.person_id, self.credential_number, self.license_number, self.plate)):
            raise ValueError(
                "give at least one of person_id, credential_number, license_number, plate"
            )
        return self


class LocationIn(_In):
    latitude: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    longitude: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    description: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _both_or_neither(self) -> LocationIn:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give latitude and longitude together")
        return self


class ReportingOfficerIn(_In):
    name: str = Field(min_length=1, max_length=200)
    badge: str | None = Field(default=None, max_length=64)


class IncidentIn(_In):
    occurred_at: ReportTime = Field(description="ISO 8601 with offset.")
    kind: IncidentKind
    subject: SubjectIn
    lookup_reference: str | None = Field(
        default=None, max_length=32, description="The reference of a lookup of your agency."
    )
    citation_number: str | None = Field(default=None, max_length=64)
    violation: str | None = Field(default=None, max_length=200)
    narrative: str | None = Field(default=None, max_length=4000)
    immunity_claimed: bool | None = None
    location: LocationIn | None = None
    reporting_officer: ReportingOfficerIn | None = Field(
        default=None, description="Required with an agency key; taken from the account on the web."
    )

    @field_validator("occurred_at")
    @classmethod
    def _occurred_in_range(cls, value: datetime) -> datetime | None:
        return _in_range(value)


class AssessmentIn(_In):
    decision: Decision
    points: int | None = Field(default=None, ge=0, le=MAX_POINTS)
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _points_with_points_assessed(self) -> AssessmentIn:
        if self.decision == "points_assessed" and self.points is None:
            raise ValueError("points: required with points_assessed")
        if self.decision != "points_assessed" and self.points is not None:
            raise ValueError("points: only with points_assessed")
        return self


class IncidentQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    status: Status | None = None
    kind: IncidentKind | None = None
    country: str | None = Field(default=None, max_length=100)
    mission_id: str | None = Field(default=None, max_length=64)
    person_id: str | None = Field(default=None, max_length=64)
    since: ReportTime | None = Field(default=None, description="Occurred at or after.")
    until: ReportTime | None = Field(default=None, description="Occurred before.")
    page: int = Field(default=1, ge=1, le=200, description="50 reports a page, newest first.")

    @field_validator("since", "until")
    @classmethod
    def _bounds_in_range(cls, value: datetime | None) -> datetime | None:
        return _in_range(value)


# -- answers -------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class SubjectMissionOut(_Out):
    mission_id: str
    name: str
    country: str
    mission_type: str
    city: str | None
    state: str | None


class SubjectVehicleOut(_Out):
    plate: str
    make: str | None
    model: str | None
    color: str | None
    year: int | None


class RegistrantOut(_Out):
    person_id: str | None = None
    name: str | None = None
    mission: SubjectMissionOut | None = None


class SubjectOut(_Out):
    given: dict[str, str] = Field(description="The identifiers as sent.")
    person_id: str | None
    name: str | None
    mission: SubjectMissionOut | None
    category: str | None
    immunity_level: str | None = Field(description="As answered when the report was filed.")
    vehicle: SubjectVehicleOut | None
    registrant: RegistrantOut | None


class LocationOut(_Out):
    latitude: float | None
    longitude: float | None
    description: str | None


class ReportingOfficerOut(_Out):
    name: str
    badge: str | None
    officer_id: str | None


class AssessmentOut(_Out):
    decision: Decision
    points: int | None
    note: str | None
    assessed_at: str
    assessed_by: str
    reference: str


class IncidentOut(_Out):
    incident_id: str
    status: Status
    reference: str = Field(description="The audit record of the filing.")
    report_to: ReportTo
    agency_id: str
    agency_name: str
    filed_at: str
    filed_by: str
    occurred_at: str
    occurred_on: date
    kind: IncidentKind
    subject: SubjectOut
    lookup_reference: str | None
    citation_number: str | None
    violation: str | None
    narrative: str | None
    immunity_claimed: bool | None
    location: LocationOut | None
    reporting_officer: ReportingOfficerOut
    data_as_of: str
    assessment: AssessmentOut | None
    read_reference: str | None = Field(
        default=None, description="The audit record of this read (GET) or assessment (POST)."
    )


class IncidentPage(_Out):
    incidents: list[IncidentOut]
    page: int
    page_size: int
    total: int = Field(description="Matching reports, counted up to 10,000.")
    total_exact: bool = Field(description="False: more than `total` reports match.")
    reference: str = Field(description="The audit record of this read.")
