"""The incident loop on an app whose records and state live in Elasticsearch (the real client
over the fake node): a report filed, assessed, and its points on the next licence answer; an
incident index that cannot be written stores nothing and says so (503)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from lookup.extensions import state_store
from lookup.identity import accounts
from lookup.identity.key_cache import clear_cache
from lookup.store.incidents import IncidentFilter
from tests.factories import DIPLOMAT_LICENSE
from tests.lookup.conftest import AppFactory, bearer
from tests.search_index.elasticsearch.es_fakes import FakeCluster


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def es_app(make_app: AppFactory, cluster: FakeCluster) -> Flask:
    app = make_app(
        elasticsearch_url="http://es.internal:9200", ELASTICSEARCH_NODE_CLASS=cluster.node_class()
    )
    clear_cache()
    return app


def body() -> dict[str, object]:
    return {
        "occurred_at": (datetime.now(UTC) - timedelta(days=2)).isoformat(),
        "kind": "dui_dwi",
        "subject": {"license_number": DIPLOMAT_LICENSE},
        "reporting_officer": {"name": "Ofc. Lane"},
    }


def test_report_assessment_and_points_on_elasticsearch(es_app: Flask, cluster: FakeCluster) -> None:
    with es_app.app_context():
        police = accounts.create_agency(state_store(), "Metro Police")
        _k, key = accounts.create_api_key(state_store(), police)
        ofm = accounts.create_agency(state_store(), "OFM", kind="ofm")
        _a, analyst = accounts.create_api_key(state_store(), ofm, role="analyst")
    client = es_app.test_client()
    filed = client.post("/api/v1/incidents", json=body(), headers=bearer(key))
    assert filed.status_code == 201, filed.get_json()
    incident_id = filed.get_json()["incident_id"]
    assessed = client.post(
        f"/api/v1/incidents/{incident_id}/assessment",
        json={"decision": "points_assessed", "points": 8},
        headers=bearer(analyst),
    )
    assert assessed.status_code == 200
    answer = client.get(
        f"/api/v1/licenses/{DIPLOMAT_LICENSE}?reason=crash", headers=bearer(key)
    ).get_json()
    licence = answer["matches"][0]["license"]
    assert (licence["points"], licence["points_from_reports"], licence["points_alert"]) == (
        8,
        8,
        "review",
    )
    queue = client.get("/api/v1/incidents?status=assessed", headers=bearer(analyst)).get_json()
    assert [i["incident_id"] for i in queue["incidents"]] == [incident_id]

    cluster.fail("PUT", r"^/dipcheck-incidents/_create/", 503, times=10)
    refused = client.post("/api/v1/incidents", json=body(), headers=bearer(key))
    assert refused.status_code == 503
    with es_app.app_context():
        assert state_store().incidents.page(IncidentFilter(), offset=0, limit=5)[1] == 1
