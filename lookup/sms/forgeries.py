"""Audit of forged SMS webhooks (a bad or missing Twilio signature).

Each is counted; the audit log gets at most one record per source address per minute, so a
flood of forged requests cannot flood the log, and each record says how many forged requests
the source sent since its previous record. The counts live in the process (each worker keeps
its own): the record is evidence that forging happened and from where, not an exact tally.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from flask import current_app

from lookup.audit.records import AuditUnavailable, record

log = logging.getLogger(__name__)

WINDOW: Final = timedelta(minutes=1)
MAX_SOURCES: Final = 10_000  # above this, sources quiet for a window are forgotten


@dataclass
class _Source:
    recorded_at: datetime
    unrecorded: int = 0


class ForgeryLog:
    """Counts forged webhooks per source and decides which get an audit record."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sources: dict[str, _Source] = {}
        self.total = 0

    def _due(self, source: str, now: datetime) -> int | None:
        """The number of forged requests to report now (this one included), or None when the
        source already has a record within the window."""
        with self._lock:
            self.total += 1
            known = self._sources.get(source)
            if known is not None and now - known.recorded_at < WINDOW:
                known.unrecorded += 1
                return None
            if len(self._sources) >= MAX_SOURCES:
                self._sources = {
                    key: value
                    for key, value in self._sources.items()
                    if now - value.recorded_at < WINDOW
                }
            count = 1 + (known.unrecorded if known is not None else 0)
            self._sources[source] = _Source(recorded_at=now)
            return count

    def forged(self, source: str | None, field: str, now: datetime) -> None:
        """Count one forged request from `source`; audit it unless the source had a record in
        the last minute. An audit failure is logged: the request is refused either way."""
        key = source or "unknown"
        count = self._due(key, now)
        if count is None:
            return
        try:
            record(
                None,
                channel="sms",
                action="sms_webhook",
                query="",
                outcome="denied",
                client=source,
                detail={"denied": "bad_signature", "field": field, "forged_requests": count},
            )
        except AuditUnavailable:
            log.error("forged sms webhook not recorded: audit store unavailable")


EXTENSION_KEY: Final = "dipcheck.sms.forgeries"


def forgery_log() -> ForgeryLog:
    """This app's log (one per app, set up with the SMS blueprint)."""
    found: ForgeryLog = current_app.extensions[EXTENSION_KEY]
    return found
