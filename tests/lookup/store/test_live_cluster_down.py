"""The whole app on a private live Elasticsearch node that the test stops and starts again
(tests/live_cluster.py): records and app state both on it, as DIPCHECK_ELASTICSEARCH_URL sets up.

With the cluster down, a lookup must answer 503 "cannot verify now" (never a 500, never an empty
"no record"), both while the API key is still cached and once the cache has expired, when even
checking the key needs the cluster; once the node is back, lookups work with no app restart.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from lookup.auth import clear_cache
from tests.factories import DIPLOMAT_PLATE
from tests.live_cluster import LocalCluster, local_cluster
from tests.lookup.conftest import AgencyKeys, AppFactory, agency_with_keys, bearer

# Starting JVMs on a loaded 2-core machine can outlast the suite's 300 s per test.
pytestmark = [pytest.mark.es_cluster, pytest.mark.timeout(900)]

PLATE_URL = "/api/v1/plates/dvl-1234?reason=traffic_stop"
VERIFY_PHONE = "(571) 345-3146"  # the default DIPCHECK_VERIFY_PHONE


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    with local_cluster(tmp_path_factory.mktemp("es-state"), nodes=1) as cluster:
        yield cluster


@pytest.fixture
def live_app(make_app: AppFactory, node: LocalCluster) -> Flask:
    return make_app(elasticsearch_url=node.url)


@pytest.fixture
def agency(live_app: Flask) -> Iterator[AgencyKeys]:
    # The node (and the app state on it) lives for the whole module: one agency per test.
    yield agency_with_keys(live_app, f"Metro Police {secrets.token_hex(3)}")
    clear_cache()


def assert_cannot_verify(response: TestResponse) -> None:
    """503 sending the officer to the 24/7 number: with records and audit both on the cluster,
    the lookup cannot be recorded either, so it is refused (fail closed) with that number."""
    assert response.status_code == 503
    assert VERIFY_PHONE in response.get_json()["error"]["message"]


def test_cluster_down_gives_503_then_recovers_without_restart(
    live_app: Flask, agency: AgencyKeys, node: LocalCluster
) -> None:
    client: FlaskClient = live_app.test_client()
    served = client.get(PLATE_URL, headers=bearer(agency.officer_key))
    assert served.status_code == 200
    assert served.get_json()["matches"][0]["vehicle"]["plate"] == DIPLOMAT_PLATE

    node.stop_node(1)
    try:
        # The key was verified a moment ago and is still cached: only the lookup needs the cluster.
        assert_cannot_verify(client.get(PLATE_URL, headers=bearer(agency.officer_key)))
        assert client.get("/readyz").status_code == 503
    finally:
        node.resume_node(1)
    back = client.get(PLATE_URL, headers=bearer(agency.officer_key))
    assert back.status_code == 200
    assert back.get_json()["matches"][0]["vehicle"]["plate"] == DIPLOMAT_PLATE


def test_cluster_down_with_the_key_cache_expired_is_503_not_500(
    live_app: Flask, agency: AgencyKeys, node: LocalCluster
) -> None:
    client: FlaskClient = live_app.test_client()
    assert client.get(PLATE_URL, headers=bearer(agency.officer_key)).status_code == 200
    node.stop_node(1)
    try:
        clear_cache()  # what the 5 s expiry does: the next request asks the store again
        assert_cannot_verify(client.get(PLATE_URL, headers=bearer(agency.officer_key)))
    finally:
        node.resume_node(1)
    clear_cache()
    assert client.get(PLATE_URL, headers=bearer(agency.officer_key)).status_code == 200
