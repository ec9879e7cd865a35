"""The whole app on Elasticsearch (records and app state), with the real client over a fake node.

Configured as an operator would (DIPCHECK_ELASTICSEARCH_URL), with the fake node injected through
the ELASTICSEARCH_NODE_CLASS test seam. Failures of the records index (refused, timed out, 5xx)
must give /readyz 503 and lookups 503 "cannot verify now, call ..." audited as error, never an
empty "no record"; once the cluster answers again, everything works with no restart.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lookup.audit.records import records
from lookup.identity.key_cache import clear_cache
from lookup.store.base import AuditFilter
from tests.factories import DIPLOMAT_PLATE
from tests.lookup.conftest import AgencyKeys, AppFactory, agency_with_keys, bearer
from tests.search_index.elasticsearch.es_fakes import FakeCluster

RECORDS = r"^/dipcheck-records"  # every request to the published record indices
PLATE_URL = "/api/v1/plates/dvl-1234?reason=traffic_stop"


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def es_app(make_app: AppFactory, cluster: FakeCluster) -> Flask:
    return make_app(
        elasticsearch_url="http://es.internal:9200",
        ELASTICSEARCH_NODE_CLASS=cluster.node_class(),
    )


@pytest.fixture
def es_client(es_app: Flask) -> FlaskClient:
    return es_app.test_client()


@pytest.fixture
def agency(es_app: Flask) -> Iterator[AgencyKeys]:
    yield agency_with_keys(es_app, "Metro Police")
    clear_cache()


def lookup(client: FlaskClient, agency: AgencyKeys) -> Any:
    return client.get(PLATE_URL, headers=bearer(agency.officer_key))


def outcomes(app: Flask, agency: AgencyKeys) -> list[str]:
    with app.app_context():
        return [r.outcome for r in records(AuditFilter(agency_id=agency.agency.id))]


def test_the_app_serves_from_elasticsearch(
    es_app: Flask, es_client: FlaskClient, agency: AgencyKeys, cluster: FakeCluster
) -> None:
    ready = es_client.get("/readyz")
    assert ready.status_code == 200
    body = ready.get_json()
    assert body["index"]["backend"] == "elasticsearch"
    assert body["state_store"]["backend"] == "elasticsearch"
    assert body["index"]["counts"]["vehicles"] > 0
    response = lookup(es_client, agency)
    assert response.status_code == 200
    assert response.get_json()["matches"][0]["vehicle"]["plate"] == DIPLOMAT_PLATE
    assert outcomes(es_app, agency) == ["match"]
    # App state really lives in the cluster: agencies, keys and the audit record.
    assert cluster.index_names("dipcheck-state-*")
    (audit_doc,) = cluster.indices["dipcheck-audit"].docs.values()
    assert audit_doc.source["outcome"] == "match"


@pytest.mark.parametrize(
    "fault",
    ["refused", "timeout", 500, 503],
    ids=["connection-refused", "timeout", "http-500", "http-503"],
)
def test_records_index_failure_gives_503_audited_as_error_then_recovers(
    es_app: Flask,
    es_client: FlaskClient,
    agency: AgencyKeys,
    cluster: FakeCluster,
    fault: str | int,
) -> None:
    cluster.fail("*", RECORDS, fault, times=1000)

    ready = es_client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["index"]["ok"] is False

    response = lookup(es_client, agency)
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "cannot_verify"
    assert error["message"].startswith("cannot verify now, call ")
    assert "matches" not in response.get_json()
    assert outcomes(es_app, agency) == ["error"]

    cluster.faults.clear()  # the cluster recovers: no restart, nothing cached
    assert es_client.get("/readyz").status_code == 200
    assert lookup(es_client, agency).status_code == 200
    assert outcomes(es_app, agency) == ["match", "error"]


def test_a_slow_records_index_answers_503_within_the_timeout_bound(
    es_app: Flask, es_client: FlaskClient, agency: AgencyKeys, cluster: FakeCluster
) -> None:
    # Every records request now takes a minute; the fake waits only up to the client's timeout
    # (2 s) and then raises what urllib3 would, so this costs real seconds: one request, one retry.
    cluster.slow_paths.append((RECORDS, 60.0))
    started = time.monotonic()
    response = lookup(es_client, agency)
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "cannot_verify"
    assert elapsed < 2 * 2.0 + 1.0  # (max_retries + 1) x request_timeout, plus slack
    assert outcomes(es_app, agency) == ["error"]
    cluster.slow_paths.clear()
    assert lookup(es_client, agency).status_code == 200


def test_whole_cluster_down_refuses_lookups_and_recovers(
    es_app: Flask, es_client: FlaskClient, agency: AgencyKeys, cluster: FakeCluster
) -> None:
    assert lookup(es_client, agency).status_code == 200
    cluster.down = True  # records and app state (audit) are both gone
    assert es_client.get("/readyz").status_code == 503
    response = lookup(es_client, agency)
    assert response.status_code == 503  # the lookup cannot be verified nor recorded
    assert "call" in response.get_json()["error"]["message"]
    cluster.down = False
    assert lookup(es_client, agency).status_code == 200
    assert es_client.get("/readyz").status_code == 200
