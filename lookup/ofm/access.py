"""Who may use the OFM workspace, and its audit: analysts only (403 for anyone else, audited as
`denied`), one audit record per read or export, written before the answer is sent (fail
closed: no record, no answer)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import TypeVar

from lookup.config import current_settings
from lookup.errors import ApiError
from lookup.extensions import search_backend
from lookup.identity.principal import Principal
from lookup.incidents.caller import Caller
from lookup.rules.insurance import InsuranceRules
from lookup.store.base import AuditChannel, Outcome
from search_index.backend import BackendError, Snapshot

T = TypeVar("T")


def analyst(principal: Principal, channel: AuditChannel, client: str | None, action: str) -> Caller:
    """The caller as an analyst, or a 403 (audited) for anyone else."""
    caller = Caller(principal, channel, client)
    if not principal.is_analyst:
        with contextlib.suppress(ApiError):
            caller.audit(action, "", "denied", denied="forbidden")
        raise ApiError(403, "forbidden", "the OFM workspace is for OFM analysts only")
    return caller


def insurance_rules() -> InsuranceRules:
    """The rules lookups answer with (the same setting decides `expiring`)."""
    return InsuranceRules(expiring_within_days=current_settings().insurance_expiring_days)


def today() -> date:
    return current_settings().local_date()


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@contextmanager
def _snapshot() -> Iterator[Snapshot]:
    with search_backend().snapshot() as snapshot:
        yield snapshot


def _found(_: object) -> Outcome:
    return "match"


def read(
    caller: Caller,
    action: str,
    query: str,
    work: Callable[[Snapshot], T],
    outcome: Callable[[T], Outcome] = _found,
) -> tuple[T, str, datetime]:
    """Run `work` on the published set, then audit it; the result, the audit reference and when
    the set was published. A backend failure is audited as `error` (best effort) and answered
    503, never as an empty result."""
    try:
        with _snapshot() as snapshot:
            result = work(snapshot)
            info = snapshot.info
    except (BackendError, OSError) as error:
        with contextlib.suppress(ApiError):
            caller.audit(action, query, "error", error=type(error).__name__)
        raise ApiError(
            503, "unavailable", "the published records cannot be read now; try again later"
        ) from None
    reference = caller.audit(action, query, outcome(result), dataset_id=info.dataset_id)
    return result, reference, info.published_at
