"""Who calls an incident or OFM workspace operation, and that caller's audit records.

Every read and change of a report, and every read of the OFM workspace, is audited (DESIGN.md);
an operation whose record cannot be written is refused with 503, so nothing is done or shown
unrecorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lookup.audit.records import AuditUnavailable, record
from lookup.errors import ApiError
from lookup.identity.principal import Principal
from lookup.store.base import AuditChannel, Outcome
from search_index.backend import SearchBackend


@dataclass(frozen=True, slots=True)
class Caller:
    principal: Principal
    channel: AuditChannel
    client: str | None
    # The synthetic data set a training caller's reports name people of (training mode hands
    # its own over, as to run_lookup); live callers leave it None and get the published record.
    training_backend: SearchBackend | None = None

    def audit(self, action: str, query: str, outcome: Outcome, **detail: Any) -> str:
        """One audit record; its reference. ApiError 503 when it cannot be written."""
        try:
            entry = record(
                self.principal,
                channel=self.channel,
                action=action,
                query=query[:500],
                outcome=outcome,
                client=self.client,
                detail=detail,
            )
        except AuditUnavailable:
            raise ApiError(
                503, "audit_unavailable", "this cannot be recorded now, so it is refused; try later"
            ) from None
        return entry.reference
