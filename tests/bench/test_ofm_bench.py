"""The OFM benchmark's check that Elasticsearch serves the compliance aggregate (bench/ofm_bench.py
prints it on a live cluster and stops if vehicles were read one by one): what it records of the
searches, here against the fake node."""

from __future__ import annotations

from typing import Any

import pytest

from bench.ofm_bench import ClusterReads, compliance_reads
from lookup.rules.insurance import InsuranceRules
from search_index.elasticsearch_backend import ElasticsearchBackend, ElasticsearchSnapshot
from search_index.es_client import ClientOptions
from tests.compliance_data import AS_OF, compliance_dataset
from tests.search_index.es_fakes import FakeCluster


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
