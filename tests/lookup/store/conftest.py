"""State-store fixtures: one `store` per backend, used by the contract suite.

- "sqlite": always.
- "elasticsearch-fake": the Elasticsearch store through the real client over an in-memory fake node
  (tests/search_index/elasticsearch/es_fakes.py). It checks our store logic and the calls we make,
  not how a real cluster behaves.
- "elasticsearch": a live cluster at ELASTICSEARCH_URL, skipped (with the reason) when unset,
  failed under CI=true.
  Each test uses its own index prefix and deletes its indices afterwards.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from lookup.store.base import StateStore
from lookup.store.elasticsearch.store import ElasticsearchStateStore
from lookup.store.sqlite.store import SQLiteStateStore
from search_index.elasticsearch.client import ClientOptions, connect
from tests.live_elasticsearch import live_url
from tests.search_index.elasticsearch.es_fakes import FakeCluster

STORES = ["sqlite", "elasticsearch-fake", pytest.param("elasticsearch", marks=pytest.mark.es_live)]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    kind = request.param
    if kind == "sqlite":
        sqlite = SQLiteStateStore(tmp_path / "state.sqlite3")
        yield sqlite
        sqlite.close()
        return
    if kind == "elasticsearch-fake":
        cluster = FakeCluster()
        options = ClientOptions(node_class=cluster.node_class())
        fake = ElasticsearchStateStore("http://es.invalid:9200", options=options)
        yield fake
        fake.close()
        return
    url = live_url()
    prefix = f"dipcheck-test-{secrets.token_hex(4)}"
    live = ElasticsearchStateStore(url, prefix=prefix, options=ClientOptions(request_timeout=10))
    yield live
    live.close()
    admin = connect(url, ClientOptions(request_timeout=30))
    # Wildcard deletes are refused by default (action.destructive_requires_name): name each.
    for name in admin.indices.get(index=f"{prefix}-*", expand_wildcards="all"):
        admin.indices.delete(index=name)
    admin.close()
