"""When the served data set is too old to be trusted without a call: one rule for every channel.

The State Department record changes daily (arrivals, departures, revoked cards). A data set
published longer ago than DIPCHECK_DATA_STALE_HOURS still answers, but every channel says so: an
amber line on the web and QR pages, a marker in SMS replies, `data_stale: true` in API answers,
and `/readyz` (which stays ready: old data beats no answer, and the 24/7 number is on every answer).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lookup.config import current_settings


def is_stale(published_at: datetime, now: datetime, stale_hours: float) -> bool:
    return now - published_at > timedelta(hours=stale_hours)


def data_stale(published_at: datetime, now: datetime | None = None) -> bool:
    """Whether a data set published at `published_at` is stale now, under the app's settings."""
    moment = now or datetime.now(UTC)
    return is_stale(published_at, moment, current_settings().data_stale_hours)
