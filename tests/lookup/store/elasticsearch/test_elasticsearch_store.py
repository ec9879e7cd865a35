"""Elasticsearch state store specifics, through the real client over the fake node: failures,
durability parameters, unique claims, compare-and-set, and the exact mappings (golden)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from elastic_transport import ConnectionTimeout

from lookup.store.base import (
    AuditFilter,
    AuditRecord,
    CollectionSpec,
    DuplicateKey,
    StoreUnavailable,
    VersionConflict,
)
from lookup.store.elasticsearch.store import (
    AUDIT_MAPPINGS,
    COLLECTION_MAPPINGS,
    STATE_SETTINGS,
    UNIQUE_MAPPINGS,
    ElasticsearchStateStore,
)
from search_index.elasticsearch.client import ClientOptions, connect
from tests.search_index.elasticsearch.es_fakes import FakeCluster, Json, Request

OFFICERS = CollectionSpec("officers", unique=("username",))
RECORD = AuditRecord(
    reference="R1",
    at=datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC),
    agency_id="A1",
    actor="apikey:k1",
    channel="api",
    action="plate",
    query="D0123A",
    reason="traffic_stop",
    outcome="match",
    client="203.0.113.9",
    detail={"matches": 1},
)


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def store(cluster: FakeCluster) -> ElasticsearchStateStore:
    built = ElasticsearchStateStore(
        "http://es.invalid:9200", options=ClientOptions(node_class=cluster.node_class())
    )
    built.ensure([OFFICERS])
    return built


def test_state_mappings_and_settings_golden(
    cluster: FakeCluster, store: ElasticsearchStateStore
) -> None:
    assert STATE_SETTINGS == {
        "number_of_shards": 1,
        "auto_expand_replicas": "0-1",
        "translog.durability": "request",
    }
    assert COLLECTION_MAPPINGS == {
        "dynamic": "strict",
        "properties": {
            "id": {"type": "keyword"},
            "created": {"type": "long"},
            "version": {"type": "long"},
            "data": {"type": "flattened", "ignore_above": 4096, "depth_limit": 20},
        },
    }
    assert UNIQUE_MAPPINGS == {
        "dynamic": "strict",
        "properties": {
            "collection": {"type": "keyword"},
            "field": {"type": "keyword"},
            "owner": {"type": "keyword"},
            "claimed": {"type": "long"},
        },
    }
    assert AUDIT_MAPPINGS == {
        "dynamic": "strict",
        "properties": {
            "reference": {"type": "keyword"},
            "at": {"type": "date", "format": "strict_date_optional_time"},
            "agency_id": {"type": "keyword"},
            "actor": {"type": "keyword"},
            "channel": {"type": "keyword"},
            "action": {"type": "keyword"},
            "query": {"type": "keyword", "index": False, "doc_values": False},
            "reason": {"type": "keyword"},
            "outcome": {"type": "keyword"},
            "client": {"type": "keyword"},
            "detail": {"type": "object", "enabled": False},
            "appended": {"type": "long"},
            "on_behalf_of": {"type": "keyword"},
        },
    }
    assert cluster.index_names() == [
        "dipcheck-audit",
        "dipcheck-incidents",  # at set-up: lookups read it and must not create it
        "dipcheck-state-officers",
        "dipcheck-state-unique",
    ]
    assert cluster.indices["dipcheck-audit"].settings["index"]["translog"] == {
        "durability": "request"
    }


def test_find_sends_exact_filters_on_the_flattened_data(
    cluster: FakeCluster, store: ElasticsearchStateStore
) -> None:
    store.insert("officers", {"username": "a", "agency_id": "A1", "disabled": False, "n": 7})
    del cluster.requests[:]
    assert len(store.find("officers", agency_id="A1", disabled=False, n=7, totp=None)) == 1
    (search,) = [r for r in cluster.requests if r.path.endswith("/_search")]
    assert search.body == {
        "query": {
            "bool": {
                "filter": [
                    {"term": {"data.agency_id": "A1"}},
                    {"term": {"data.disabled": "false"}},
                    {"term": {"data.n": "7"}},
                ],
                "must_not": [{"exists": {"field": "data.totp"}}],
            }
        },
        "sort": [{"created": "asc"}, {"id": "asc"}],
        "size": 500,
        "version": True,
        "seq_no_primary_term": True,
    }


def test_find_by_a_unique_field_is_real_time(
    cluster: FakeCluster, store: ElasticsearchStateStore
) -> None:
    stored = store.insert("officers", {"username": "a"})
    del cluster.requests[:]
    assert store.find("officers", username="a") == [stored]
    assert [r.method for r in cluster.requests] == ["GET", "GET"]  # claim, then document


def test_writes_are_visible_to_search_at_once(
    cluster: FakeCluster, store: ElasticsearchStateStore
) -> None:
    store.insert("officers", {"username": "a"})
    write = next(
        r for r in cluster.requests if r.path.startswith("/dipcheck-state-officers/_create")
    )
    assert write.params["refresh"] == "true"


def test_audit_append_waits_for_active_shards_and_is_not_refreshed(
    cluster: FakeCluster, store: ElasticsearchStateStore
) -> None:
    store.append_audit(RECORD)
    write = next(r for r in cluster.requests if r.path == "/dipcheck-audit/_create/R1")
    assert write.params == {"wait_for_active_shards": "1"}
    assert write.body["at"] == "2026-03-01T12:00:00.123Z"
    assert write.body["query"] == "D0123A"


def test_audit_by_reference_sends_a_term_on_the_reference_keyword(
    cluster: FakeCluster, store: ElasticsearchStateStore
) -> None:
    store.append_audit(RECORD)
    del cluster.requests[:]
    found = list(store.iter_audit(AuditFilter(reference="R1", agency_id="A1", limit=1)))
    assert found == [RECORD]
    (search,) = [r for r in cluster.requests if r.path.endswith("/_search")]
    assert search.path == "/dipcheck-audit/_search"
    assert search.body == {
        "query": {
            "bool": {"filter": [{"term": {"reference": "R1"}}, {"term": {"agency_id": "A1"}}]}
        },
        "sort": [{"at": "desc"}, {"appended": "desc"}],
        "size": 1,
    }


def test_audit_append_wait_for_all_copies_is_configurable(cluster: FakeCluster) -> None:
    strict = ElasticsearchStateStore(
        "http://x:9200",
        options=ClientOptions(node_class=cluster.node_class()),
        audit_wait_for_active_shards="all",
    )
    strict.append_audit(RECORD)
    write = next(r for r in cluster.requests if r.path.endswith("/_create/R1"))
    assert write.params == {"wait_for_active_shards": "all"}


def landed_then_timed_out(cluster: FakeCluster) -> Any:
    def fault(req: Request) -> tuple[int, Json]:
        cluster.handle(req)  # the write reaches the cluster ...
        raise ConnectionTimeout("fake: answer lost")  # ... but its answer never arrives

    return fault


def test_an_audit_write_whose_answer_was_lost_is_not_duplicated(
    cluster: FakeCluster, store: ElasticsearchStateStore
) -> None:
    cluster.fail("PUT", r"^/dipcheck-audit/_create/", landed_then_timed_out(cluster))
    store.append_audit(RECORD)
    assert list(store.iter_audit(AuditFilter())) == [RECORD]


def test_a_lost_answer_does_not_hide_a_reference_clash(
    cluster: FakeCluster, store: ElasticsearchStateStore
) -> None:
    store.append_audit(RECORD)
    cluster.fail("PUT", r"^/dipcheck-audit/_create/", "timeout")
    clash = AuditRecord(
        reference="R1",
        at=RECORD.at,
        agency_id="A2",
        actor=None,
        channel="sms",
        action="plate",
        query="X",
        reason=None,
        outcome="error",
        client=None,
    )
    with pytest.raises(DuplicateKey):
        store.append_audit(clash)


@pytest.mark.parametrize("fault", ["refused", "timeout", 500, 503])
def test_every_operation_fails_closed_with_store_unavailable(
    cluster: FakeCluster, store: ElasticsearchStateStore, fault: str | int
) -> None:
    stored = store.insert("officers", {"username": "a"})
    cluster.fail("*", ".", fault, times=10_000)
    calls = [
        lambda: store.insert("officers", {"username": "b"}),
        lambda: store.get("officers", stored.id),
        lambda: store.find("officers", username="a"),
        lambda: store.find("officers", agency_id="A1"),
        lambda: store.update("officers", stored.id, {"n": 1}),
        lambda: store.delete("officers", stored.id),
        lambda: store.append_audit(RECORD),
        lambda: list(store.iter_audit(AuditFilter())),
        store.ping,
    ]
    for call in calls:
        with pytest.raises(StoreUnavailable):
            call()
    cluster.faults.clear()
    store.ping()  # recovered, nothing cached
    assert store.get("officers", stored.id) == stored


def test_a_claim_left_by_a_crashed_insert_is_taken_over_after_the_grace_period(
    cluster: FakeCluster, store: ElasticsearchStateStore
) -> None:
    store.insert("officers", {"username": "a"}, id="o1")
    (claim_id,) = cluster.indices["dipcheck-state-unique"].docs
    # Simulate a crash between the claim and the document: the owner never got written.
    store._es.index(
        index="dipcheck-state-unique",
        id=claim_id,
        document={
            "collection": "officers",
            "field": "username",
            "owner": "ghost",
            "claimed": time.time_ns(),
        },
    )
    store.delete("officers", "o1")  # releases nothing: the claim is not o1's any more
    with pytest.raises(DuplicateKey):  # too fresh: the ghost's insert may still be in flight
        store.insert("officers", {"username": "a"})
    old = time.time_ns() - int(120e9)
    store._es.index(
        index="dipcheck-state-unique",
        id=claim_id,
        document={"collection": "officers", "field": "username", "owner": "ghost", "claimed": old},
    )
    taken = store.insert("officers", {"username": "a"})
    assert store.find_one("officers", username="a") == taken


def test_update_retries_a_lost_race_unless_a_version_was_expected(
    cluster: FakeCluster, store: ElasticsearchStateStore
) -> None:
    stored = store.insert("officers", {"username": "a", "n": 0})
    cluster.fail("PUT", rf"^/dipcheck-state-officers/_doc/{stored.id}$", 409)
    assert store.update("officers", stored.id, {"n": 1}).version == 2
    cluster.fail("PUT", rf"^/dipcheck-state-officers/_doc/{stored.id}$", 409)
    with pytest.raises(VersionConflict):
        store.update("officers", stored.id, {"n": 2}, expect_version=2)
    current = store.get("officers", stored.id)
    assert current is not None
    assert (current.version, current.data["n"]) == (2, 1)


def test_a_failed_update_releases_its_new_unique_claim(
    cluster: FakeCluster, store: ElasticsearchStateStore
) -> None:
    a = store.insert("officers", {"username": "a"})
    cluster.fail("PUT", rf"^/dipcheck-state-officers/_doc/{a.id}$", 409)
    with pytest.raises(VersionConflict):
        store.update("officers", a.id, {"username": "b"}, expect_version=1)
    store.insert("officers", {"username": "b"})  # "b" was not left claimed


def test_the_audit_index_is_created_with_its_mapping_before_the_first_record(
    cluster: FakeCluster,
) -> None:
    fresh = ElasticsearchStateStore(
        "http://es.invalid:9200", options=ClientOptions(node_class=cluster.node_class())
    )
    fresh.append_audit(RECORD)  # no ensure() first
    assert cluster.indices["dipcheck-audit"].mappings == AUDIT_MAPPINGS
    assert list(fresh.iter_audit(AuditFilter())) == [RECORD]


def test_an_audit_index_from_before_on_behalf_of_gains_the_field(cluster: FakeCluster) -> None:
    older = {
        "dynamic": "strict",
        "properties": {
            k: v for k, v in AUDIT_MAPPINGS["properties"].items() if k != "on_behalf_of"
        },
    }
    options = ClientOptions(node_class=cluster.node_class())
    admin = connect("http://es.invalid:9200", options)
    admin.indices.create(index="dipcheck-audit", mappings=older)
    fresh = ElasticsearchStateStore("http://es.invalid:9200", options=options)
    attributed = replace(RECORD, on_behalf_of="badge 4471")
    fresh.append_audit(attributed)
    assert cluster.indices["dipcheck-audit"].mappings["properties"]["on_behalf_of"] == {
        "type": "keyword"
    }
    assert list(fresh.iter_audit(AuditFilter())) == [attributed]


def test_a_claim_kept_after_its_value_moved_on_is_taken_over(
    cluster: FakeCluster, store: ElasticsearchStateStore
) -> None:
    store.insert("officers", {"username": "a"}, id="o1")
    (claim_id,) = cluster.indices["dipcheck-state-unique"].docs
    # A crash after o1 changed its name to "b" but before the claim on "a" was released:
    old = time.time_ns() - int(120e9)
    store._es.index(
        index="dipcheck-state-officers",
        id="o1",
        document={"id": "o1", "created": 1, "version": 2, "data": {"username": "b"}},
    )
    store._es.index(
        index="dipcheck-state-unique",
        id=claim_id,
        document={"collection": "officers", "field": "username", "owner": "o1", "claimed": old},
    )
    store.insert("officers", {"username": "a"}, id="o2")
    assert store.find_one("officers", username="a") == store.get("officers", "o2")
