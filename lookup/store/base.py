"""The protocol of the app-state store.

Features keep their state as JSON documents in named collections and declare, once, which
fields must be unique and which are looked up; the backends (SQLite, Elasticsearch) know nothing
of agencies or officers. The audit log is append-only and has its own calls because an
acknowledged audit record must be durable before a lookup answer leaves the server.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from lookup.store.incidents import IncidentStore

Document = dict[str, Any]
Channel = Literal["api", "web", "sms", "qr"]
# Where an audited act came from: a lookup channel, "login", or "cli" (a dipcheck command).
AuditChannel = Literal[Channel, "login", "cli"]
Outcome = Literal["match", "no_match", "denied", "error"]


class StoreError(Exception):
    """Base class of the errors a state store raises."""


class StoreUnavailable(StoreError):
    """The store cannot be written or read; callers fail closed."""


class DuplicateKey(StoreError):
    """An insert or update would break a declared unique field."""

    def __init__(self, collection: str, field_name: str) -> None:
        super().__init__(f"{collection}: {field_name} already exists")
        self.collection = collection
        self.field_name = field_name


class VersionConflict(StoreError):
    """An update named a version that is no longer current (someone else wrote first)."""


@dataclass(frozen=True, slots=True)
class CollectionSpec:
    """Declares a collection: `unique` fields are enforced, `indexed` fields are fast to find by."""

    name: str
    unique: tuple[str, ...] = ()
    indexed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Stored:
    id: str
    version: int
    data: Document


def iso_millis(moment: datetime) -> str:
    """An audit time as text: UTC to the millisecond with a `Z`, as the audit API, the export
    and the Elasticsearch audit index all write it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One lookup, login attempt or administrative action (DESIGN.md "Audit"). Holds the query
    value the officer typed; the audit store is the one place such values are allowed to be kept.
    Each field is described, and every stored and shown form derived, in
    lookup/store/audit_record.py (FIELDS follows this order)."""

    reference: str
    at: datetime
    agency_id: str | None
    actor: str | None
    channel: AuditChannel
    action: str
    query: str
    reason: str | None
    outcome: Outcome
    client: str | None
    detail: Mapping[str, Any] = field(default_factory=dict)
    on_behalf_of: str | None = None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Every given field must match. `reference` is an exact, indexed match (at most one record:
    references are unique), so finding one lookup does not scan an agency's history."""

    reference: str | None = None
    agency_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    channel: str | None = None
    outcome: str | None = None
    actor: str | None = None
    limit: int | None = None


class StateStore(Protocol):
    name: str

    @property
    def incidents(self) -> IncidentStore:
        """Incident reports and their OFM assessments (lookup/store/incidents.py)."""

    @property
    def training_incidents(self) -> IncidentStore:
        """Reports filed in training mode: the same store kept apart from `incidents`
        (lookup/store/incidents.py, TRAINING_APART)."""

    def ensure(self, specs: Sequence[CollectionSpec]) -> None:
        """Create collections and their indexes if missing (idempotent)."""

    def insert(self, collection: str, data: Document, *, id: str | None = None) -> Stored:
        """Add a document (a new random id unless given). Raises DuplicateKey."""

    def get(self, collection: str, id: str) -> Stored | None: ...

    def find(self, collection: str, **equals: Any) -> list[Stored]:
        """Documents whose fields equal the given values (all of them), oldest first."""

    def find_one(self, collection: str, **equals: Any) -> Stored | None: ...

    def update(
        self, collection: str, id: str, changes: Document, *, expect_version: int | None = None
    ) -> Stored:
        """Merge `changes` into the document. Raises KeyError when absent, VersionConflict when
        `expect_version` is given and stale, DuplicateKey on a unique clash."""

    def delete(self, collection: str, id: str) -> bool: ...

    def append_audit(self, record: AuditRecord) -> None:
        """Durably store one audit record before returning; raise StoreUnavailable otherwise."""

    def iter_audit(self, filter: AuditFilter) -> Iterator[AuditRecord]:
        """Audit records matching the filter, newest first."""

    def ping(self) -> None:
        """Raise StoreUnavailable when the store cannot answer."""

    def close(self) -> None: ...
