"""The lookup allowance: how many lookups a caller may make, counted once per lookup.

One counter per caller (API key or officer, else client address: `rate_limit_key`), shared by
every lookup route of every channel, with the limits of DIPCHECK_RATELIMIT_LOOKUPS. Decorate a
lookup view with `@lookup_limit`: over the allowance it raises Flask-Limiter's
`RateLimitExceeded` (429, handled per channel), and every response of the view carries the
X-RateLimit-Limit/-Remaining/-Reset headers, and a 429 or 503 also Retry-After.

The counting is Flask-Limiter's: the `limiter`'s configured storage (memory, or Redis), its
strategy (`limiter.limiter`, moving window) and its in-memory fallback while Redis is down. What
this module leaves out is Flask-Limiter's generic per-request machinery (resolving decorated,
default and meta limits and exemption scopes, once in its decorator and again for the headers),
which cost a lookup more than the counting itself: here a lookup costs one `hit` per configured
limit and one window read for the headers.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from flask import Response, after_this_request
from flask_limiter import Limit, RateLimitExceeded
from werkzeug.http import parse_date

from lookup.config import current_settings
from lookup.extensions import limiter, rate_limit_key
from lookup.retry_after import RETRY_STATUSES

if TYPE_CHECKING:
    from flask_limiter._limits import RuntimeLimit
    from limits.strategies import RateLimiter
    from limits.util import WindowStats

LOOKUP_SCOPE = "lookups"

P = ParamSpec("P")
R = TypeVar("R")


def _configured_limit() -> str:
    return current_settings().ratelimit_lookups


# The same allowance as Flask-Limiter's own limit (same key, scope and storage keys), entered as
# a context manager while the storage fails or its in-memory fallback is in use: Flask-Limiter
# alone then decides when to fall back, counts in memory, sets the headers and probes for the
# storage's return.
_fallback_aware = limiter.shared_limit(_configured_limit, scope=LOOKUP_SCOPE)


@functools.lru_cache(maxsize=8)
def _limits(value: str) -> tuple[RuntimeLimit, ...]:
    """The limits of a setting, shortest window first (the order Flask-Limiter checks them in).
    Parsed once per value, not per request."""
    parsed = Limit(
        limit_provider=value, key_function=rate_limit_key, scope=LOOKUP_SCOPE, shared=True
    )
    return tuple(sorted(parsed, key=lambda runtime: runtime.limit))


def lookup_limit(view: Callable[P, R]) -> Callable[P, R]:
    """Count each call of `view` against the caller's lookup allowance."""

    @functools.wraps(view)
    def counted(*args: P.args, **kwargs: P.kwargs) -> R:
        count_lookups(1)
        return view(*args, **kwargs)

    return counted


def count_lookups(cost: int) -> None:
    """Count `cost` lookups at once against the caller's allowance (a batch counts each of its
    plates). Raises RateLimitExceeded when they do not fit in a window; a window they do not fit
    in keeps its count (the moving window takes all of `cost` or none of it)."""
    if not (limiter.enabled and limiter.initialized):
        return
    strategy = limiter.limiter
    if strategy.storage is not limiter.storage:  # Redis is down: the in-memory fallback counts
        _count_through_flask_limiter(cost)
        return
    key = rate_limit_key()
    try:
        breached, shown, stats = _hit(strategy, _limits(_configured_limit()), key, cost)
    except Exception:  # the storage failed: Flask-Limiter falls back (or raises, if told to)
        _count_through_flask_limiter(cost)
        return

    @after_this_request
    def add_headers(response: Response) -> Response:
        _set_headers(response, shown, stats)
        return response

    if breached:
        raise RateLimitExceeded(shown)


def _hit(
    strategy: RateLimiter, limits: tuple[RuntimeLimit, ...], key: str, cost: int
) -> tuple[bool, RuntimeLimit, WindowStats]:
    """Count `cost` lookups against each limit, stopping at the first one exceeded
    (Flask-Limiter's default). Returns whether one was exceeded, the limit the headers describe
    (the exceeded one, else the shortest) and that limit's window after this count."""
    shown, breached = limits[0], False
    for runtime in limits:
        if not strategy.hit(runtime.limit, key, LOOKUP_SCOPE, cost=cost):
            shown, breached = runtime, True
            break
    return breached, shown, strategy.get_window_stats(shown.limit, key, LOOKUP_SCOPE)


def _count_through_flask_limiter(cost: int) -> None:
    for _lookup in range(cost):
        with _fallback_aware:
            pass


def _set_headers(response: Response, shown: RuntimeLimit, stats: WindowStats) -> None:
    """The headers Flask-Limiter sets, with its values: Retry-After (429 and 503 only) is the
    time to the window's reset, or a later time the response already asked for (a 503's
    Retry-After: 30)."""
    reset_at = int(stats.reset_time + 1)
    headers = response.headers
    headers.add("X-RateLimit-Limit", str(shown.limit.amount))
    headers.add("X-RateLimit-Remaining", str(stats.remaining))
    headers.add("X-RateLimit-Reset", str(reset_at))
    if response.status_code not in RETRY_STATUSES:
        return
    now = time.time()
    asked = headers.get("Retry-After")
    if asked is not None:
        asked_at = parse_date(asked)
        retry_at = asked_at.timestamp() if asked_at is not None else now + int(asked)
        reset_at = max(int(retry_at), reset_at)
    headers["Retry-After"] = str(int(reset_at - now))
