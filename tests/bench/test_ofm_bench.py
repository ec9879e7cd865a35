"""The helpers of bench/ofm_bench.py, against the fake node: its check that Elasticsearch serves
the compliance aggregate (printed on a live cluster; the run stops if vehicles were read one by
one), and its seeding of incident reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.ofm_bench import ClusterReads, compliance_reads, write_reports
from lookup.rules.insurance import InsuranceRules
from lookup.store.elasticsearch.store import ElasticsearchStateStore
from lookup.store.incidents import IncidentFilter
from lookup.store.sqlite.store import SQLiteStateStore
from search_index.elasticsearch.backend import ElasticsearchBackend, ElasticsearchSnapshot
from search_index.elasticsearch.client import ClientOptions
from tests.compliance_data import AS_OF, compliance_dataset
from tests.search_index.elasticsearch.es_fakes import FakeCluster


@pytest.fixture
def snapshot() -> Any:
    backend = ElasticsearchBackend(
        "http://es.invalid:9200", options=ClientOptions(node_class=FakeCluster().node_class())
    )
    backend.publish(compliance_dataset())
    with backend.snapshot() as snap:
        yield snap
    backend.close()


def test_the_compliance_aggregate_reads_buckets_and_missions(
    snapshot: ElasticsearchSnapshot,
) -> None:
    dataset = compliance_dataset()
    reads = compliance_reads(snapshot, AS_OF, InsuranceRules())
    assert reads.composite_pages == 1
    assert 0 < reads.buckets <= len(dataset.vehicles)
    assert reads.hits == {"mission": len(dataset.missions)}
    assert reads.searches == 2
    # The snapshot reads as before once the run is recorded.
    assert "_search_raw" not in vars(snapshot)


def test_vehicle_documents_returned_are_counted() -> None:
    reads = ClusterReads()
    vehicle = {"_source": {"kind": "vehicle", "record": {}}}
    reads.record({"query": {}, "size": 2}, {"hits": {"hits": [vehicle, vehicle]}})
    assert reads.hits["vehicle"] == 2
    assert (reads.searches, reads.composite_pages, reads.buckets) == (1, 0, 0)


def test_reports_are_written_in_bulk_to_elasticsearch() -> None:
    """The benchmark's seeding on Elasticsearch: every report created whole, as the store's own
    `add` would create it, and readable at once."""
    cluster = FakeCluster()
    store = ElasticsearchStateStore(
        "http://es.invalid:9200",
        prefix="bench",
        options=ClientOptions(node_class=cluster.node_class()),
    )
    documents = [_document(n) for n in range(2500)]
    write_reports(store.incidents, iter(documents))
    assert len([r for r in cluster.requests if r.path == "/_bulk"]) == 3  # 1,000 a request
    assert [d["incident_id"] for d in store.incidents.iterate(IncidentFilter())] == [
        d["incident_id"]
        for d in sorted(documents, key=lambda d: (d["occurred_at"], d["incident_id"]), reverse=True)
    ]
    version, stored = store.incidents.get("IN-T0000007") or (0, {})
    assert (version, stored) == (1, documents[7])


def test_reports_go_through_add_on_sqlite(tmp_path: Path) -> None:
    store = SQLiteStateStore(tmp_path / "state.sqlite")
    documents = [_document(n) for n in range(3)]
    write_reports(store.incidents, iter(documents))
    assert store.incidents.get("IN-T0000002") == (1, documents[2])


def _document(number: int) -> dict[str, Any]:
    occurred = f"2026-11-{1 + number % 28:02d}T{number % 24:02d}:{number % 60:02d}:00+00:00"
    return {
        "incident_id": f"IN-T{number:07d}",
        "status": "submitted",
        "agency_id": "agency-1",
        "kind": "crash",
        "occurred_at": occurred,
        "occurred_on": occurred[:10],
        "subject": {"person_id": f"P{number}", "mission": {"mission_id": "M1", "country": "X"}},
        "assessment": None,
        "assessments": [],
    }
