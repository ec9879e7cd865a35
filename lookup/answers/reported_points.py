"""Licence points that follow from assessed incident reports (DESIGN.md: a licence answer counts
the imported points plus the points assessed in DipCheck after the served data set's publication
whose incident date lies within the last 24 months).

Assessed before the publication: assumed to be in the imported figure already. Within the last
24 months: the incident's calendar day (as the officer gave it) is on or after the same day 24
months before today (29 February maps to 28 February), today being the agency's day
(`DIPCHECK_TIMEZONE`) like every other date rule of an answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from lookup.extensions import state_store

WINDOW_MONTHS = 24


def window_start(today: date) -> date:
    year = today.year - WINDOW_MONTHS // 12
    try:
        return today.replace(year=year)
    except ValueError:  # 29 February
        return today.replace(year=year, day=28)


def reported_points(
    person_ids: Sequence[str], published_at: datetime, today: date
) -> Mapping[str, int]:
    """The answers' `ReportedPoints` (lookup/answers/build.py), read from the app's state store."""
    return state_store().incidents.reported_points(
        person_ids, assessed_after=published_at, occurred_from=window_start(today)
    )
