"""The app's shared services: the search backend, the state store and the rate limiter.

The backend and the store are chosen by configuration (SQLite by default, Elasticsearch when
`DIPCHECK_ELASTICSEARCH_URL` is set) and created once per app; the Elasticsearch classes are
imported only when configured, so the embedded set-up never needs a cluster.

Channels reach them through `search_backend()`, `state_store()` and `limiter`; a channel that keeps
its own state declares its collections with `Services.declare` when its blueprint is registered.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app, request
from flask_limiter import Limiter

from lookup.config import Settings
from lookup.store.base import CollectionSpec, StateStore
from search_index.backend import SearchBackend

if TYPE_CHECKING:
    from search_index.es_client import ClientOptions

EXTENSION_KEY = "dipcheck"
STATE_DB_FILE = "state.sqlite3"


@dataclass
class Services:
    settings: Settings
    data_dir: Path
    backend: SearchBackend
    store: StateStore
    _declared: list[CollectionSpec] = field(default_factory=list)
    _ensured: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def ensured_store(self) -> StateStore:
        """The store, with every declared collection created. Retried on each call until it
        succeeds, so an app can start while its Elasticsearch cluster is still coming up."""
        if not self._ensured:
            with self._lock:
                if not self._ensured:
                    self.store.ensure(self._declared)
                    self._ensured = True
        return self.store

    def declare(self, specs: Sequence[CollectionSpec]) -> None:
        with self._lock:
            self._declared.extend(specs)
            if self._ensured:
                self.store.ensure(specs)


def _es_options(app: Flask) -> ClientOptions:
    """Client options of both Elasticsearch classes. The Flask config key
    ELASTICSEARCH_NODE_CLASS (tests only, never an environment setting) swaps the client's HTTP
    layer for a fake node, so failure tests drive the real client through the whole app."""
    from search_index.es_client import ClientOptions

    return ClientOptions(node_class=app.config.get("ELASTICSEARCH_NODE_CLASS"))


def _make_backend(settings: Settings, data_dir: Path, app: Flask) -> SearchBackend:
    if settings.elasticsearch_url:
        from search_index.elasticsearch_backend import ElasticsearchBackend

        return ElasticsearchBackend(settings.elasticsearch_url, options=_es_options(app))
    from search_index.sqlite_backend import SQLiteBackend

    return SQLiteBackend(data_dir)


def _make_store(settings: Settings, data_dir: Path, app: Flask) -> StateStore:
    if settings.elasticsearch_url:
        from lookup.store.elasticsearch import ElasticsearchStateStore

        return ElasticsearchStateStore(settings.elasticsearch_url, options=_es_options(app))
    from lookup.store.sqlite import SQLiteStateStore

    return SQLiteStateStore(
        data_dir / STATE_DB_FILE, journal_rotate_bytes=settings.audit_journal_rotate_bytes
    )


def init_services(
    app: Flask,
    settings: Settings,
    data_dir: Path,
    *,
    backend: SearchBackend | None = None,
    store: StateStore | None = None,
) -> Services:
    services = Services(
        settings=settings,
        data_dir=data_dir,
        backend=backend if backend is not None else _make_backend(settings, data_dir, app),
        store=store if store is not None else _make_store(settings, data_dir, app),
    )
    app.extensions[EXTENSION_KEY] = services
    return services


def services() -> Services:
    found: Services = current_app.extensions[EXTENSION_KEY]
    return found


def search_backend() -> SearchBackend:
    """The search backend serving the published data set."""
    return services().backend


def state_store() -> StateStore:
    """The app-state store, with every declared collection in place."""
    return services().ensured_store()


# -- rate limits ---------------------------------------------------------------------------


def rate_limit_key() -> str:
    """Lookups are counted per API key or per officer (officers of one agency often share a
    NATed address); unauthenticated requests per client address."""
    from lookup.auth import AuthError, current_principal

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
    need it too, and tests/lookup/test_lookup_allowance.py fails if one appears."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        manager = self.limit_manager
        if manager.default_limits or manager.application_limits or self._meta_limits:
            return
        hooks = app.before_request_funcs.get(None, [])
        if self._check_request_limit in hooks:
            hooks.remove(self._check_request_limit)


# The lookup allowance (lookup/lookup_allowance.py) counts with this limiter's strategy and
# storage; the other limits (sign-in, QR scans, outreach forms) are its decorators.
limiter = DecoratorLimiter(
    key_func=rate_limit_key,
    default_limits=[],
    headers_enabled=True,
    strategy="moving-window",
)
