"""Every rate limit of DipCheck: the limiter, its key, its storage, the lookup allowance, the SMS
limits and the Retry-After rule.

Counting is Flask-Limiter's and the `limits` package's, and this module relies on a few of their
private names (the memory storage's expiry methods, the limiter's request hook and meta limits,
`flask_limiter._limits.RuntimeLimit`). pyproject.toml pins both packages to the release lines the
code was written against, and `check_private_names()`, called by `create_app`, refuses to start
with one line naming what is missing when another release is installed anyway.

- The limiter (`limiter`): one moving-window Flask-Limiter shared by every channel. Its other
  limits (sign-in, QR scans, outreach forms) are decorators on their views.
- The key (`rate_limit_key`): lookups are counted per API key or per officer (officers of one
  agency often share a NATed address); unauthenticated requests per client address.
- The storage: `DIPCHECK_RATELIMIT_STORAGE_URI` (memory by default, or Redis). `memory://` means
  `SweepingMemoryStorage`: the `limits` package's memory storage expires old entries from a timer
  thread that it starts anew whenever the previous one has finished, at most 10 ms earlier; under
  steady traffic that is a thread start every few requests, which measurably costs each lookup CPU
  and latency. The subclass keeps the same counting and instead sweeps expired entries inline, at
  most once a second, from whichever request comes along; a moving window also keeps no more
  entries per key than its limit. Expiry stays exact: each check compares entry times itself, the
  sweep only frees memory. When Redis goes away, Flask-Limiter's in-memory fallback counts in each
  process (`create_app` turns it on).
- The lookup allowance (`lookup_limit`, `count_lookups`): how many lookups a caller may make,
  counted once per lookup. One counter per caller, shared by every lookup route of every channel,
  with the limits of DIPCHECK_RATELIMIT_LOOKUPS. Over the allowance it raises Flask-Limiter's
  `RateLimitExceeded` (429, handled per channel), and every response of the view carries the
  X-RateLimit-Limit/-Remaining/-Reset headers, and a 429 or 503 also Retry-After. What this
  leaves out is Flask-Limiter's generic per-request machinery (resolving decorated, default and
  meta limits and exemption scopes, once in its decorator and again for the headers), which cost
  a lookup more than the counting itself: a lookup costs one `hit` per configured limit and one
  window read for the headers.
- The SMS limits (`sms_within_limits`): texts cost money and an SMS sender is weakly identified,
  so a phone gets a handful of lookups a minute (an officer at one stop sends a few) and the whole
  channel a ceiling well under what a Twilio number is provisioned for
  (DIPCHECK_SMS_RATELIMIT_PHONE and DIPCHECK_SMS_RATELIMIT_ALL, moving windows).
- Retry-After (`init_retry_after`) only where it means something, and there always: on 429 (come
  back when the window resets) and 503 (come back when the index or audit store may be back).
  Flask-Limiter adds it to every response of a limited route, where a client would read it as an
  instruction to back off; and every 503 of the JSON API says when to retry, whichever route
  refused.
"""

from __future__ import annotations

import functools
import importlib
import logging
import threading
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from flask import Flask, Response, after_this_request, request
from flask_limiter import Limit, Limiter, RateLimitExceeded
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from werkzeug.http import parse_date

from lookup.config import ConfigError, current_settings
from lookup.identity.auth import current_principal
from lookup.identity.principal import AuthError

if TYPE_CHECKING:
    from flask_limiter._limits import RuntimeLimit
    from limits.strategies import RateLimiter
    from limits.util import WindowStats

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# -- the start-up check of the private names used here -----------------------------------------

# (module, attribute path) of every private name this module uses; `check_private_names` looks
# each one up on the installed packages.
PRIVATE_NAMES: tuple[tuple[str, str], ...] = (
    ("flask_limiter._limits", "RuntimeLimit"),
    ("flask_limiter", "Limiter._check_request_limit"),
    ("limits.storage", "MemoryStorage._MemoryStorage__schedule_expiry"),
    ("limits.storage", "MemoryStorage._MemoryStorage__expire_events"),
)
# Set by Limiter.__init__ and MemoryStorage.__init__, so looked up on instances.
_LIMITER_ATTRIBUTES = ("_meta_limits", "_storage_dead", "limit_manager")
_STORAGE_ATTRIBUTES = ("timer", "events", "locks")


def check_private_names() -> None:
    """Raise ConfigError (one line) unless every private name of Flask-Limiter and `limits` this
    module relies on exists in the installed releases."""
    missing: list[str] = []
    for module_name, path in PRIVATE_NAMES:
        try:
            found: Any = importlib.import_module(module_name)
            for part in path.split("."):
                found = getattr(found, part)
        except (ImportError, AttributeError):
            missing.append(f"{module_name}.{path}")
    probe = Limiter(key_func=rate_limit_key)
    missing += [f"Limiter().{n}" for n in _LIMITER_ATTRIBUTES if not hasattr(probe, n)]
    try:
        storage = MemoryStorage()
    except AttributeError as error:  # its __init__ names one of the methods above
        missing.append(f"MemoryStorage() ({error})")
    else:
        if hasattr(storage, "timer"):
            storage.timer.cancel()  # an expiry timer of a storage that counts nothing
        missing += [f"MemoryStorage().{n}" for n in _STORAGE_ATTRIBUTES if not hasattr(storage, n)]
    if missing:
        raise ConfigError(
            f"flask-limiter {version('flask-limiter')} / limits {version('limits')} lack "
            f"{', '.join(missing)}: install the versions pyproject.toml pins"
        )


# -- the storage ---------------------------------------------------------------------------------

MEMORY_SCHEME = "dipcheck-memory"
SWEEP_SECONDS = 1.0


class SweepingMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = [MEMORY_SCHEME]  # noqa: RUF012 (the attribute limits' registry reads)

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()  # the one timer the parent starts; we sweep inline instead
        self._sweep_lock = threading.Lock()
        self._next_sweep = time.monotonic() + SWEEP_SECONDS

    # Replaces MemoryStorage's private __schedule_expiry, which every counting call invokes.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
            # The parent leaves an empty list behind for a key whose entries all expired.
            for key in [key for key, events in self.events.items() if not events]:
                with self.locks[key]:
                    if not self.events.get(key):
                        self.events.pop(key, None)
                        self.locks.pop(key, None)
        finally:
            self._sweep_lock.release()

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        with self.locks[key]:
            acquired = super().acquire_entry(key, limit, expiry, amount)
            # Only the newest `limit` entries can ever decide a moving-window check.
            del self.events.get(key, [])[limit:]
        return acquired


def limiter_storage_uri(configured: str) -> str:
    """The URI Flask-Limiter is given: `memory://` means this storage, others pass through."""
    return f"{MEMORY_SCHEME}://" if configured == "memory://" else configured


# -- the key and the limiter ---------------------------------------------------------------------


def rate_limit_key() -> str:
    """Lookups are counted per API key or per officer (officers of one agency often share a
    NATed address); unauthenticated requests per client address."""
    try:
        principal = current_principal()
    except AuthError:  # a bad key is counted against its address; the view answers 401
        principal = None
    if principal is not None:
        return principal.actor
    return f"addr:{request.remote_addr or 'unknown'}"


class DecoratorLimiter(Limiter):
    """Flask-Limiter without its check of every request when there is nothing to check.

    Besides its decorators, Flask-Limiter checks each request in a before_request hook for the
    limits that no view declares: default, application and meta limits and limits on a whole
    blueprint. DipCheck sets none of those (every limit is a view decorator or the lookup
    allowance), so the hook resolved nothing, at about 35 us of CPU on every request. It stays
    registered when the app's configuration sets such a limit; a limit on a whole blueprint would
    need it too, and tests/lookup/http/test_lookup_allowance.py fails if one appears."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        manager = self.limit_manager
        if manager.default_limits or manager.application_limits or self._meta_limits:
            return
        hooks = app.before_request_funcs.get(None, [])
        if self._check_request_limit in hooks:
            hooks.remove(self._check_request_limit)


# The lookup allowance below counts with this limiter's strategy and storage; the other limits
# (sign-in, QR scans, outreach forms) are its decorators.
limiter = DecoratorLimiter(
    key_func=rate_limit_key,
    default_limits=[],
    headers_enabled=True,
    strategy="moving-window",
)


# -- Retry-After ---------------------------------------------------------------------------------

RETRY_STATUSES: frozenset[int] = frozenset({429, 503})
# What a 503 of the JSON API asks for when its route named no other time.
UNAVAILABLE_RETRY_SECONDS = 30
API_PATH = "/api/"


def init_retry_after(app: Flask) -> None:
    """Call before `limiter.init_app(app)`: Flask runs an app's after-request hooks in the
    reverse order of their registration, so this one then runs after the limiter's."""

    @app.after_request
    def _retry_after_only_when_refused(response: Response) -> Response:
        if response.status_code not in RETRY_STATUSES:
            response.headers.pop("Retry-After", None)
        elif response.status_code == 503 and request.path.startswith(API_PATH):
            response.headers.setdefault("Retry-After", str(UNAVAILABLE_RETRY_SECONDS))
        return response


# -- the lookup allowance ------------------------------------------------------------------------

LOOKUP_SCOPE = "lookups"


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


# -- the SMS channel's limits --------------------------------------------------------------------


def sms_within_limits(hashed: str) -> bool:
    """Count one text against its phone and against the channel. The counters live in the
    limiter's storage (Redis when configured), keyed by the phone's hash, never its number."""
    if not limiter.enabled:
        return True
    strategy = limiter.limiter
    settings = current_settings()
    checks: list[tuple[RateLimitItem, tuple[str, ...]]] = [
        (item, ("sms-phone", hashed)) for item in parse_many(settings.sms_ratelimit_phone)
    ]
    checks += [(item, ("sms-all",)) for item in parse_many(settings.sms_ratelimit_all)]
    try:
        # The phone's own limits first: a phone over its limit does not use up the channel's.
        return all(strategy.hit(item, *key) for item, key in checks)
    except Exception:  # the storage failed: an officer at the roadside still gets an answer
        log.exception("sms rate-limit storage failed; message let through")
        return True
