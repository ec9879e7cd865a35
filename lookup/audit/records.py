"""The audit log: one record per lookup and per login attempt, written before any answer.

`record(...)` fails closed: when the store cannot durably take the record it raises
`AuditUnavailable`, and the caller refuses the lookup. References are what an officer quotes on
the radio: `DC-` plus two groups of five Crockford base-32 characters (no I, L, O or U, so they
cannot be misread as 1 or 0), 50 random bits; the store's unique constraint catches the rare
collision and a fresh reference is drawn.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import g, has_request_context

from lookup.audit.alerts import alarm
from lookup.extensions import state_store
from lookup.identity.principal import Principal
from lookup.store.base import (
    AuditChannel,
    AuditFilter,
    AuditRecord,
    DuplicateKey,
    Outcome,
    StoreError,
)

REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PREFIX = "DC-"
_ATTEMPTS = 3
_MILLISECOND = timedelta(milliseconds=1)


class AuditUnavailable(Exception):
    """The audit record could not be written; the lookup must be refused."""


def new_reference() -> str:
    # 50 bits from one read of the system CSPRNG, as ten base-32 digits.
    bits = int.from_bytes(secrets.token_bytes(7)) >> 6
    chars = [REFERENCE_ALPHABET[(bits >> shift) & 31] for shift in range(45, -1, -5)]
    return f"{REFERENCE_PREFIX}{''.join(chars[:5])}-{''.join(chars[5:])}"


def now_utc() -> datetime:
    """UTC, truncated to the millisecond the audit log keeps."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def record(
    principal: Principal | None,
    *,
    channel: AuditChannel,
    action: str,
    query: str,
    outcome: Outcome,
    reason: str | None = None,
    client: str | None = None,
    detail: Mapping[str, Any] | None = None,
    reference: str | None = None,
    actor: str | None = None,
    agency_id: str | None = None,
) -> AuditRecord:
    """Durably append one record and return it. `actor`/`agency_id` name who acted when there
    is no principal yet (a login attempt for a known username). Raises AuditUnavailable."""
    entry = AuditRecord(
        reference=reference or new_reference(),
        at=now_utc(),
        agency_id=principal.agency_id if principal else agency_id,
        actor=principal.actor if principal else actor,
        channel=channel,
        action=action,
        query=query,
        reason=reason,
        outcome=outcome,
        client=client,
        detail=_with_request_id(detail),
        on_behalf_of=principal.on_behalf_of if principal else None,
    )
    for _attempt in range(_ATTEMPTS):
        try:
            state_store().append_audit(entry)
        except DuplicateKey:
            # Only a reference we drew ourselves may be replaced; a caller's is already quoted.
            if reference is not None:
                raise AuditUnavailable("audit reference already used") from None
            entry = replace(entry, reference=new_reference())
            continue
        except StoreError as error:
            alarm().audit_failed(channel=channel, action=action, error=error)
            raise AuditUnavailable(str(error)) from error
        return entry
    unavailable = AuditUnavailable("could not draw an unused audit reference")
    alarm().audit_failed(channel=channel, action=action, error=unavailable)
    raise unavailable


def _with_request_id(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """The detail, plus the request id that ties the record to the (query-free) operational
    log lines of the same request."""
    out = dict(detail or {})
    if has_request_context() and g.get("request_id"):
        out.setdefault("request_id", g.request_id)
    return out


def records(filter: AuditFilter) -> Iterator[AuditRecord]:
    return state_store().iter_audit(filter)


def newest_page(filter: AuditFilter, limit: int) -> tuple[list[AuditRecord], datetime | None]:
    """Up to `limit` records matching `filter` (its own limit is ignored), newest first, and
    the `until` that continues below them (None: nothing older is left).

    Times are kept to the millisecond and `until` excludes its own millisecond, so a page never
    ends part-way through one millisecond: the records of that millisecond go to the next page
    (or, when they alone fill the page, all of them come on this one), and none is skipped or
    shown twice however many share it."""
    found = list(records(replace(filter, limit=limit + 1)))
    if len(found) <= limit:
        return found, None
    page, boundary = found[:limit], found[limit - 1].at
    if found[limit].at != boundary:
        return page, boundary
    newer = [entry for entry in page if entry.at != boundary]
    if newer:
        return newer, boundary + _MILLISECOND
    tied = replace(filter, since=boundary, until=boundary + _MILLISECOND, limit=None)
    return list(records(tied)), boundary
