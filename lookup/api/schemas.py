"""Pydantic models of the JSON API: the query models validate requests, and the same models
(with the answer shapes of lookup/answers/models.py) generate the OpenAPI document."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from lookup.answers.models import CredentialMatchOut, LicenseMatchOut, PersonHitOut, PlateMatchOut
from lookup.answers.query_rules import (
    ISO_DATE_PATTERN,
    NAME_PATTERN,
    NO_CONTROL_PATTERN,
    PLATE_PATTERN,
    PLATE_PATTERN_PATTERN,
    check_text,
    parse_iso_date,
)
from lookup.answers.service import MAX_COUNTRY_LENGTH, MAX_NAME_LENGTH, LookupKind, Reason
from lookup.openapi.spec import ErrorDetail
from lookup.store.base import AuditChannel, Outcome

REASON_DESCRIPTION = "Why the lookup is made; kept in the audit record."


class _Query(BaseModel):
    # Unknown query parameters are ignored (a client may add its own tracing parameters).
    model_config = ConfigDict(extra="ignore", frozen=True)


class AnswerFormat(_Query):
    format: Literal["json", "text"] | None = Field(
        default=None,
        description="`text`: the same answer as plain-text lines of at most 80 characters "
        "(for terminals and message switches). Default: JSON, or text when the Accept header "
        "prefers text/plain.",
    )


class LookupQuery(AnswerFormat):
    reason: Reason = Field(description=REASON_DESCRIPTION)


def _iso_date(raw: object) -> object:
    return parse_iso_date(raw) if isinstance(raw, str) else raw


# Only YYYY-MM-DD: pydantic alone would read `0` as 1970-01-01 (a Unix timestamp).
IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": ISO_DATE_PATTERN}),
]
# Control characters are refused with a message of ours; the document states the same rule
# as a `pattern` (validation stays with the service's readable messages).
PlainText = Annotated[str, BeforeValidator(check_text)]


class PatternQuery(LookupQuery):
    pattern: PlainText = Field(
        min_length=1,
        max_length=64,
        json_schema_extra={"pattern": PLATE_PATTERN_PATTERN},
        description="`?` one character, `*` any run; at least 4 known letters or digits, at "
        "most 8 positions besides `*`; spaces, hyphens and dots are ignored.",
    )


class PersonQuery(LookupQuery):
    name: PlainText = Field(
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        json_schema_extra={"pattern": NAME_PATTERN},
        description="Any order, accents optional; at least one letter or digit.",
    )
    date_of_birth: IsoDate | None = Field(default=None, description="YYYY-MM-DD")
    country: PlainText | None = Field(
        default=None,
        max_length=MAX_COUNTRY_LENGTH,
        json_schema_extra={"pattern": NO_CONTROL_PATTERN},
    )


class AuditQuery(_Query):
    since: datetime | None = Field(default=None, description="Inclusive, ISO 8601 with offset.")
    until: datetime | None = Field(default=None, description="Exclusive, ISO 8601 with offset.")
    channel: AuditChannel | None = None
    outcome: Outcome | None = None
    actor: str | None = Field(default=None, max_length=100, description="e.g. officer:<id>")
    limit: int = Field(default=100, ge=1, le=1000)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class QueryEcho(_Out):
    kind: LookupKind
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


MAX_BATCH = 100


class PlateBatchRequest(BaseModel):
    """The body of `POST /api/v1/plates:batch` (unknown keys are ignored, as in a query)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    # Each plate is checked by search_index.normalize (a 400 with its own message); the item
    # pattern states the same limit in the document.
    plates: list[Annotated[str, Field(json_schema_extra={"pattern": PLATE_PATTERN})]] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"1 to {MAX_BATCH} plates as typed or read (case, spaces, hyphens ignored).",
    )
    reason: Reason = Field(description=REASON_DESCRIPTION)


class PlateBatch(_Out):
    answers: list[PlateLookup] = Field(
        description="One answer per plate, in the order sent, each exactly a plate lookup's "
        "answer with its own `reference` (one audit record per plate)."
    )


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
    actor: str | None = Field(description="officer:<id> or apikey:<key id, as listed>")
    on_behalf_of: str | None = Field(
        description="The agency's officer an API key named (X-On-Behalf-Of), if any."
    )
    channel: str
    action: str
    query: str
    reason: str | None
    outcome: Outcome
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
    audit_failures: int = Field(
        description="Requests this process refused since it started because their audit "
        "record could not be written (each one also raised an alert)."
    )


class Ready(_Out):
    status: Literal["ready", "not_ready"]
    index: IndexCheck
    state_store: StoreCheck
    error: ErrorDetail | None = None
