"""The search-backend contract suite, run on the Elasticsearch backend over the fake node.

The real run against a cluster happens in test_backend_contract.py when ELASTICSEARCH_URL is set.
This one needs no cluster: it drives the real client through
tests/search_index/elasticsearch/es_fakes.py, so it checks everything the backend computes in Python
(normalization, candidate filtering, the ranking shared with SQLite, record round trips, publishing)
and the requests it sends; it cannot check Elasticsearch's own analysis, fuzzy expansion or wildcard
evaluation, which the fake only imitates.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from search_index.backend import SearchBackend
from search_index.elasticsearch.backend import ElasticsearchBackend
from search_index.elasticsearch.client import ClientOptions
from tests.search_index.elasticsearch.es_fakes import FakeCluster
from tests.search_index.test_backend_contract import *  # noqa: F403 - the same tests, re-collected


@pytest.fixture
def backend() -> Iterator[SearchBackend]:
    cluster = FakeCluster()
    built = ElasticsearchBackend(
        "http://es.invalid:9200", options=ClientOptions(node_class=cluster.node_class())
    )
    yield built
    built.close()
