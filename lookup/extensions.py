"""The app's shared services: the search backend and the state store.

The backend and the store are chosen by configuration (SQLite by default, Elasticsearch when
`DIPCHECK_ELASTICSEARCH_URL` is set) and created once per app; the Elasticsearch classes are
imported only when configured, so the embedded set-up never needs a cluster.

Channels reach them through `search_backend()` and `state_store()`; a channel that keeps
its own state declares its collections with `Services.declare` when its blueprint is registered.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app

from lookup.config import Settings
from lookup.store.base import CollectionSpec, StateStore
from search_index.backend import SearchBackend

if TYPE_CHECKING:
    from search_index.elasticsearch.client import ClientOptions

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
    from search_index.elasticsearch.client import ClientOptions

    return ClientOptions(node_class=app.config.get("ELASTICSEARCH_NODE_CLASS"))


def _make_backend(settings: Settings, data_dir: Path, app: Flask) -> SearchBackend:
    if settings.elasticsearch_url:
        from search_index.elasticsearch.backend import ElasticsearchBackend

        return ElasticsearchBackend(settings.elasticsearch_url, options=_es_options(app))
    from search_index.sqlite.backend import SQLiteBackend

    return SQLiteBackend(data_dir)


def _make_store(settings: Settings, data_dir: Path, app: Flask) -> StateStore:
    if settings.elasticsearch_url:
        from lookup.store.elasticsearch.store import ElasticsearchStateStore

        return ElasticsearchStateStore(settings.elasticsearch_url, options=_es_options(app))
    from lookup.store.sqlite.store import SQLiteStateStore

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
