"""Fixtures of the search_index tests: the contract suite runs once per backend.

`backend` is parametrised over "sqlite" and "elasticsearch". The Elasticsearch run needs a live
cluster named by ELASTICSEARCH_URL and is skipped without one (fails under CI=true); every
backend-neutral test in test_backend_contract.py then runs against both.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from search_index.backend import SearchBackend
from search_index.sqlite.backend import SQLiteBackend
from tests.factories import small_dataset
from tests.live_elasticsearch import live_url


def make_elasticsearch_backend(url: str) -> SearchBackend:
    """One backend on a live cluster, isolated from other test runs by a unique index prefix.

    Owned by the Elasticsearch backend: adjust here how a test backend is built."""
    from search_index.elasticsearch.backend import ElasticsearchBackend
    from search_index.elasticsearch.client import ClientOptions

    # A shared CI cluster can be slow: a longer read timeout than production's.
    options = ClientOptions(request_timeout=10.0)
    prefix = f"dipcheck-test-{uuid.uuid4().hex}"
    backend: SearchBackend = ElasticsearchBackend(url, prefix=prefix, options=options)
    return backend


def drop_elasticsearch_indices(url: str, backend: SearchBackend) -> None:
    """Delete the indices one test backend created (each by name: clusters refuse wildcard
    deletes by default)."""
    from search_index.elasticsearch.backend import ElasticsearchBackend
    from search_index.elasticsearch.client import ClientOptions, connect

    assert isinstance(backend, ElasticsearchBackend)
    admin = connect(url, ClientOptions(request_timeout=30.0))
    try:
        # Wildcards only: a pattern that matches nothing is no error.
        pattern = f"{backend.alias}-*,{backend.lock_index}*"
        found = admin.indices.get(index=pattern, expand_wildcards="all")
        for name in found:
            admin.indices.delete(index=name)
    finally:
        admin.close()


@pytest.fixture(params=["sqlite", "elasticsearch"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchBackend]:
    """An empty backend; nothing is published yet."""
    if request.param == "sqlite":
        built: SearchBackend = SQLiteBackend(tmp_path / "data")
    else:
        built = make_elasticsearch_backend(live_url())
    try:
        yield built
    finally:
        built.close()
        if request.param == "elasticsearch":
            drop_elasticsearch_indices(os.environ["ELASTICSEARCH_URL"], built)


@pytest.fixture
def published(backend: SearchBackend) -> SearchBackend:
    """The backend with tests.factories.small_dataset() published."""
    backend.publish(small_dataset())
    return backend
