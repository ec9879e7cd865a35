"""Pydantic models of the OFM workspace routes: the query strings, validated strictly, and the
answers, which also generate the OpenAPI document."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lookup.rules.insurance import InsuranceStatus

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class MissionVehiclesQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    as_of: date | None = Field(
        default=None, description="The day the statuses are computed for (YYYY-MM-DD); today."
    )

    @field_validator("as_of", mode="before")
    @classmethod
    def _iso_day(cls, value: object) -> object:
        # Only YYYY-MM-DD: pydantic alone would also take a timestamp or a date-time.
        if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
            raise ValueError("a date as YYYY-MM-DD")
        return value


class ComplianceQuery(MissionVehiclesQuery):
    format: Literal["json", "csv"] = Field(default="json", description="`csv`: one row a mission.")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class StatusCounts(_Out):
    active: int
    expiring: int
    lapsed: int
    not_yet_effective: int
    below_minimum: int
    none: int
    not_required: int


class MissionComplianceOut(_Out):
    mission_id: str
    name: str | None
    country: str | None
    mission_type: str | None
    vehicles: int
    by_status: StatusCounts
    compliant_rate: float | None = Field(
        description="(active + expiring + not_required) / vehicles, 4 decimals."
    )


class ComplianceTotals(_Out):
    vehicles: int
    by_status: StatusCounts
    compliant_rate: float | None


class ComplianceOut(_Out):
    as_of: date
    data_as_of: str
    reference: str = Field(description="The audit record of this read.")
    missions: list[MissionComplianceOut]
    totals: ComplianceTotals


class VehicleToFixOut(_Out):
    plate: str
    status: InsuranceStatus
    policy_expiry: date | None
    days_lapsed: int | None = Field(
        description="Days since the last covered day (1 the day after); null when not lapsed "
        "or cancelled (the cancellation day is not on record)."
    )


class MissionVehiclesOut(_Out):
    as_of: date
    data_as_of: str
    reference: str
    mission_id: str
    name: str
    country: str
    mission_type: str
    vehicles: list[VehicleToFixOut]


class FlaggedPersonOut(_Out):
    person_id: str
    name: str | None
    mission_id: str | None
    incidents: int
    last_occurred_at: str


class FlaggedMissionOut(_Out):
    mission_id: str
    name: str | None
    incidents: int
    last_occurred_at: str


class FlaggedVehicleOut(_Out):
    plate: str
    mission_id: str
    policy_expiry: date | None
    days_lapsed: int


class FlagsOut(_Out):
    as_of: date
    data_as_of: str
    reference: str
    persons: list[FlaggedPersonOut] = Field(description="Two or more reports in 365 days.")
    missions: list[FlaggedMissionOut] = Field(description="Two or more reports in 365 days.")
    vehicles: list[FlaggedVehicleOut] = Field(description="Lapsed more than 30 days.")
