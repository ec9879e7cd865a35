"""The Elasticsearch backend with the client's real HTTP layer (urllib3) against the fake cluster
served over loopback HTTP: real sockets, real read timeouts, real refused connections. Still not
an Elasticsearch server; see test_elasticsearch_backend.py for what the fake can and cannot show.
"""

from __future__ import annotations

import socket
import time

import pytest

from search_index.backend import BackendUnavailable
from search_index.elasticsearch.backend import ElasticsearchBackend
from search_index.elasticsearch.client import ClientOptions
from tests.factories import DIPLOMAT_PLATE, small_dataset
from tests.search_index.elasticsearch.es_fakes import FakeCluster, serve_http


def test_publish_and_lookups_over_real_http() -> None:
    cluster = FakeCluster()
    with serve_http(cluster) as url:
        backend = ElasticsearchBackend(url, options=ClientOptions())
        info = backend.publish(small_dataset())
        with backend.snapshot() as snap:
            assert snap.info == info
            assert snap.find_plate(DIPLOMAT_PLATE)[0].match == "exact"
        backend.close()
    # The real client spoke the compatibility media type on the wire.
    assert cluster.requests[0].headers["accept"].endswith("compatible-with=8")


def test_a_read_timeout_on_a_real_socket_is_bounded() -> None:
    cluster = FakeCluster()
    with serve_http(cluster) as url:
        backend = ElasticsearchBackend(url, options=ClientOptions(request_timeout=0.2))
        backend.publish(small_dataset())
        cluster.slow_paths.append((r"/_mapping$", 1.0))
        started = time.monotonic()
        with pytest.raises(BackendUnavailable, match="ConnectionTimeout"), backend.snapshot():
            pass
        assert time.monotonic() - started < 0.2 * 2 + 0.5  # two attempts, each cut at 0.2 s
        backend.close()


def test_a_refused_connection_is_backend_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    backend = ElasticsearchBackend(f"http://127.0.0.1:{port}", options=ClientOptions())
    with pytest.raises(BackendUnavailable, match="ConnectionError"):
        backend.ping()
    backend.close()
