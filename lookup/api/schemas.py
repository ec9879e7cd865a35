"""Pydantic models of the JSON API: the query models validate requests, and the same models
(with the answer shapes of lookup/answer_models.py) generate the OpenAPI document."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from lookup.answer_models import CredentialMatchOut, LicenseMatchOut, PersonHitOut, PlateMatchOut
from lookup.service import Reason

REASON_DESCRIPTION = "Why the lookup is made; kept in the audit record."


class _Query(BaseModel):
    # Unknown query parameters are ignored (a client may add its own tracing parameters).
    model_config = ConfigDict(extra="ignore", frozen=True)


class LookupQuery(_Query):
    reason: Reason = Field(description=REASON_DESCRIPTION)


class PatternQuery(LookupQuery):
    pattern: str = Field(
        min_length=1,
        max_length=64,
        description="`?` one character, `*` any run; at least 4 known letters or digits.",
    )


class PersonQuery(LookupQuery):
    name: str = Field(min_length=1, max_length=200, description="Any order, accents optional.")
    date_of_birth: date | None = Field(default=None, description="YYYY-MM-DD")
    country: str | None = Field(default=None, max_length=100)


class AuditQuery(_Query):
    since: datetime | None = Field(default=None, description="Inclusive, ISO 8601 with offset.")
    until: datetime | None = Field(default=None, description="Exclusive, ISO 8601 with offset.")
    channel: Literal["api", "web", "sms", "qr", "login"] | None = None
    outcome: Literal["match", "no_match", "denied", "error"] | None = None
    actor: str | None = Field(default=None, max_length=100, description="e.g. officer:<id>")
    limit: int = Field(default=100, ge=1, le=1000)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErrorDetail(_Out):
    code: str = Field(description="Stable, machine-readable code.")
    message: str
    field: str | None = Field(default=None, description="The input at fault (400 only).")
    reference: str | None = Field(
        default=None, description="The audit reference of a lookup that could not be answered."
    )


class ErrorBody(_Out):
    error: ErrorDetail


class QueryEcho(_Out):
    kind: Literal["plate", "plate_pattern", "credential", "license", "person"]
    typed: str
    normalized: str
    reason: Reason
    date_of_birth: date | None = None
    country: str | None = None


class Verify(_Out):
    phone: str = Field(description="The 24/7 verification number.")
    label: str
    notice: str


class _Lookup(_Out):
    reference: str = Field(description="The audit record's reference, for the officer to quote.")
    data_as_of: datetime = Field(description="When the served data set was published.")
    data_stale: bool = Field(
        description="The data set is older than the configured limit (DIPCHECK_DATA_STALE_HOURS, "
        "default 72): the answer may be out of date; verify by phone."
    )
    query: QueryEcho
    verify: Verify


class PlateLookup(_Lookup):
    matches: list[PlateMatchOut]


class CredentialLookup(_Lookup):
    matches: list[CredentialMatchOut]


class LicenseLookup(_Lookup):
    matches: list[LicenseMatchOut]


class PersonLookup(_Lookup):
    matches: list[PersonHitOut]


class AuditEntry(_Out):
    reference: str
    at: datetime
    agency_id: str | None
    actor: str | None
    channel: str
    action: str
    query: str
    reason: str | None
    outcome: Literal["match", "no_match", "denied", "error"]
    client: str | None
    detail: dict[str, object]


class AuditPage(_Out):
    records: list[AuditEntry]
    next_until: datetime | None = Field(
        description="Pass as `until` for the next (older) page; null on the last page."
    )


class Health(_Out):
    status: Literal["ok"]


class IndexCheck(_Out):
    ok: bool
    backend: str
    published: bool
    dataset_id: str | None
    published_at: datetime | None
    age_seconds: int | None
    stale: bool | None = Field(
        description="The published data set is older than DIPCHECK_DATA_STALE_HOURS (still "
        "ready: answers say so); null when nothing is published."
    )
    stale_after_hours: float
    counts: dict[str, int]


class StoreCheck(_Out):
    ok: bool
    backend: str


class Ready(_Out):
    status: Literal["ready", "not_ready"]
    index: IndexCheck
    state_store: StoreCheck
    error: ErrorDetail | None = None
