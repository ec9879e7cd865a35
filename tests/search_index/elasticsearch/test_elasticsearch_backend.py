"""The Elasticsearch backend driven through the REAL elasticsearch client over a fake node.

What this proves: the requests the backend makes, in which order, how it reacts to each answer
and failure (bulk item errors, count mismatch, timeouts, refused connections, 5xx, a held lock),
and that the client accepts our fake (product header, compatible-with content type). What it does
not prove: how a real cluster analyses, scores or stores; the contract suite does that when
ELASTICSEARCH_URL is set.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from search_index.backend import BackendUnavailable, ImportBusy, NoDataPublished, PublishFailed
from search_index.elasticsearch.backend import ElasticsearchBackend
from search_index.elasticsearch.client import ClientOptions
from search_index.records import Dataset, License, Mission, Person, Vehicle
from tests.search_index.elasticsearch.es_fakes import FakeCluster

ALIAS = "dipcheck-records"


def sample(variant: str = "a") -> Dataset:
    missions = (
        Mission("M1", "Embassy of Freedonia", "Freedonia", "embassy", phone="202-555-0100"),
        Mission("M2", "Consulate of Sylvania", "Sylvania", "consular_post"),
    )
    persons = (
        Person(
            "P1",
            "M1",
            "Müller",
            "diplomatic_agent",
            "active",
            given_names="Anna",
            date_of_birth=date(1980, 5, 17),
            credential_number="DA12345",
            flags=("watch",),
        ),
        Person(
            "P2", "M1", "Müller", "family_member", "active", given_names="Ben", principal_id="P1"
        ),
        Person("P3", "M2", "Okafor", "consular_officer", "active", given_names="Chidi"),
        Person(
            "P4", "M1", "Zeta", "family_member", "active", given_names="Carla", principal_id="P1"
        ),
    )
    vehicles = (
        Vehicle("D0123" + variant.upper(), "active", owner_person_id="P1", make="Volvo"),
        Vehicle("DO123" + variant.upper(), "active", owner_mission_id="M1"),
        Vehicle("C12345", "stolen", owner_person_id="P3", registration_expiry=date(2027, 1, 31)),
    )
    licenses = (License("L77", "P1", "valid", points=3, expiry=date(2028, 2, 1)),)
    return Dataset(missions, persons, vehicles, licenses)


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


def backend_for(cluster: FakeCluster, **options: float) -> ElasticsearchBackend:
    opts = ClientOptions(node_class=cluster.node_class(), **options)  # type: ignore[arg-type]
    return ElasticsearchBackend("http://es.invalid:9200", options=opts)


@pytest.fixture
def backend(cluster: FakeCluster) -> ElasticsearchBackend:
    return backend_for(cluster)


def test_publish_builds_a_fresh_index_and_points_the_alias_at_it(
    cluster: FakeCluster, backend: ElasticsearchBackend
) -> None:
    info = backend.publish(sample())

    (index,) = cluster.alias_targets(ALIAS)
    assert index == f"{ALIAS}-{info.dataset_id}"
    assert info.counts == {"missions": 2, "persons": 4, "vehicles": 3, "licenses": 1}
    # The index came from the template, was loaded with refreshes off, then made servable.
    create = next(r for r in cluster.requests if r.method == "PUT" and r.path == f"/{index}")
    assert create.body["settings"]["index.refresh_interval"] == "-1"
    assert create.body["settings"]["index.number_of_replicas"] == 0
    settings = cluster.indices[index].settings["index"]
    assert settings["refresh_interval"] is None  # back to the cluster default
    assert settings["blocks"]["write"] is True
    assert settings["analysis"]["normalizer"]["identifier"]["filter"] == [
        "asciifolding",
        "uppercase",
    ]
    meta = cluster.indices[index].mappings["_meta"]
    assert meta["dataset_id"] == info.dataset_id
    assert meta["counts"] == info.counts
    # Order matters: count verified after the refresh and before the alias moves.
    paths = [f"{r.method} {r.path}" for r in cluster.requests]
    assert paths.index(f"POST /{index}/_refresh") < paths.index(f"POST /{index}/_count")
    assert paths.index(f"POST /{index}/_count") < paths.index("POST /_aliases")
    # The lock is released.
    assert cluster.indices["dipcheck-locks"].docs == {}
    assert backend.dataset_info() == info


def test_card_and_licence_numbers_find_confusable_look_alikes(
    backend: ElasticsearchBackend,
) -> None:
    backend.publish(sample())
    with backend.snapshot() as snap:
        # DA12345 typed as DA1234S (S/5) and as 0A12345 (0/D): one substitution each, named.
        card = snap.find_credentials("DA1234S")
        assert [(m.match, m.record.person_id) for m in card] == [("confusable", "P1")]
        assert [(s.position, s.typed, s.matched) for s in card[0].substitutions] == [(6, "S", "5")]
        assert [m.match for m in snap.find_credentials("da-12345")] == ["exact"]
        assert snap.find_credentials("0A1Z34S") == []  # three substitutions: past the cap
        licence = snap.find_licenses("LT7")
        assert licence == []  # T is in no confusion class with 7
        licence = snap.find_licenses("l 77")
        assert [(m.match, m.record.license_number) for m in licence] == [("exact", "L77")]


def test_lookups_read_what_was_published(backend: ElasticsearchBackend) -> None:
    backend.publish(sample())
    with backend.snapshot() as snap:
        exact = snap.find_plate("d 0123-a")
        assert [(m.match, m.vehicle.plate) for m in exact] == [
            ("exact", "D0123A"),
            ("confusable", "DO123A"),
        ]
        assert exact[1].substitutions[0].typed == "0"
        assert exact[1].substitutions[0].matched == "O"
        partial = snap.find_plate_pattern("D?123*")
        assert [m.vehicle.plate for m in partial] == ["D0123A", "DO123A"]
        assert {m.match for m in partial} == {"partial"}
        person = snap.find_credential("da-12345")
        assert person is not None
        assert person.person_id == "P1"
        assert person.date_of_birth == date(1980, 5, 17)
        assert person.flags == ("watch",)
        lic = snap.find_license("l 77")
        assert lic is not None
        assert lic.points == 3
        assert snap.licenses_of(["P1", "P3"]) == {"P1": lic}
        assert [p.person_id for p in snap.family_of("P1")] == ["P2", "P4"]
        assert [p.person_id for p in snap.members_of("M1")] == ["P1", "P2", "P4"]
        assert [v.plate for v in snap.vehicles_of_person("P1")] == ["D0123A"]
        vehicle = snap.get_vehicle("c12345")
        assert vehicle is not None
        assert vehicle.registration_expiry == date(2027, 1, 31)
        assert snap.get_mission("M2") is not None
        assert snap.get_person("nope") is None
        hits = snap.search_persons("muler anna")
        assert [h.person.person_id for h in hits][:1] == ["P1"]
        assert snap.search_persons("okafor", country="SYLVANIA")[0].person.person_id == "P3"
        assert snap.search_persons("okafor", country="Freedonia") == []


def test_republish_swaps_the_alias_in_one_request_and_prunes_old_sets(
    cluster: FakeCluster, backend: ElasticsearchBackend
) -> None:
    first = backend.publish(sample("a"))
    second = backend.publish(sample("b"))
    swap = [r for r in cluster.requests if r.path == "/_aliases"][-1]
    assert swap.body == {
        "actions": [
            {
                "remove": {
                    "index": f"{ALIAS}-{first.dataset_id}",
                    "alias": ALIAS,
                    "must_exist": True,
                }
            },
            {"add": {"index": f"{ALIAS}-{second.dataset_id}", "alias": ALIAS}},
        ]
    }
    third = backend.publish(sample("c"))
    # The previous set stays (lookups pinned to it finish); the one before is deleted.
    assert cluster.index_names(f"{ALIAS}-*") == [
        f"{ALIAS}-{second.dataset_id}",
        f"{ALIAS}-{third.dataset_id}",
    ]
    with backend.snapshot() as snap:
        assert snap.get_vehicle("D0123C") is not None
        assert snap.get_vehicle("D0123B") is None


def test_a_lookup_whose_index_was_pruned_is_unavailable_not_no_record(
    backend: ElasticsearchBackend,
) -> None:
    backend.publish(sample("a"))
    with backend.snapshot() as pinned:
        backend.publish(sample("b"))
        backend.publish(sample("c"))  # prunes the index `pinned` reads
        with pytest.raises(BackendUnavailable):
            pinned.get_vehicle("D0123A")
        with pytest.raises(BackendUnavailable):
            pinned.get_vehicle("D9999Z")
        with pytest.raises(BackendUnavailable):
            pinned.persons_by_id(["P1", "P9"])
        with pytest.raises(BackendUnavailable):
            pinned.missions_by_id(["M9"])
        with pytest.raises(BackendUnavailable):
            pinned.families_of(["P1"])


def test_the_records_of_several_matches_are_one_request_a_kind(
    cluster: FakeCluster, backend: ElasticsearchBackend
) -> None:
    backend.publish(sample())
    with backend.snapshot() as snap:
        before = len(cluster.requests)
        persons = snap.persons_by_id(["P1", "P3", "P9", "P1"])
        missions = snap.missions_by_id(["M2", "M1"])
        families = snap.families_of(["P1", "P3"])
        assert snap.persons_by_id([]) == snap.missions_by_id([]) == snap.families_of([]) == {}
        sent = cluster.requests[before:]
    assert sorted(persons) == ["P1", "P3"]
    assert sorted(missions) == ["M1", "M2"]
    assert {head: [p.person_id for p in family] for head, family in families.items()} == {
        "P1": ["P2", "P4"],
        "P3": [],
    }
    assert [(r.method, r.path) for r in sent] == [
        ("POST", f"/{snap.index}/_mget"),
        ("POST", f"/{snap.index}/_mget"),
        ("POST", f"/{snap.index}/_search"),
    ]
    assert sent[0].body["ids"] == ["person:P1", "person:P3", "person:P9"]  # each id once


def test_the_licences_of_several_persons_are_one_search(
    cluster: FakeCluster, backend: ElasticsearchBackend
) -> None:
    backend.publish(sample())
    with backend.snapshot() as snap:
        before = len(cluster.requests)
        held = snap.licenses_of(["P1", "P2", "P3", "P1"])
        sent = cluster.requests[before:]
        assert snap.licenses_of([]) == {}  # nothing to ask: no request
        assert len(cluster.requests) == before + 1
    assert list(held) == ["P1"]
    (search,) = sent
    assert (search.method, search.path) == ("POST", f"/{snap.index}/_search")
    # Each person once, however often the answer names them; one hit per person at most.
    assert search.body["query"]["bool"]["filter"][1] == {"terms": {"person_id": ["P1", "P2", "P3"]}}
    assert search.body["collapse"] == {"field": "person_id"}
    assert search.body["size"] == 3


def test_a_snapshot_keeps_reading_the_set_it_pinned(backend: ElasticsearchBackend) -> None:
    backend.publish(sample("a"))
    with backend.snapshot() as snap:
        backend.publish(sample("b"))  # an import publishes during the lookup
        assert snap.get_vehicle("D0123A") is not None
        assert snap.get_vehicle("D0123B") is None
    with backend.snapshot() as snap:
        assert snap.get_vehicle("D0123B") is not None


def test_a_rejected_bulk_item_publishes_nothing_and_deletes_the_new_index(
    cluster: FakeCluster, backend: ElasticsearchBackend
) -> None:
    before = backend.publish(sample("a"))
    cluster.bulk_item_error = lambda index, doc_id, source: (
        "mapper_parsing_exception" if doc_id == "vehicle:C12345" else None
    )
    with pytest.raises(PublishFailed, match="1 documents were rejected"):
        backend.publish(sample("b"))
    assert cluster.index_names(f"{ALIAS}-*") == [f"{ALIAS}-{before.dataset_id}"]
    assert backend.dataset_info() == before
    assert cluster.indices["dipcheck-locks"].docs == {}  # the next import may run


def test_a_document_count_mismatch_publishes_nothing(
    cluster: FakeCluster, backend: ElasticsearchBackend
) -> None:
    data = sample()
    # Two persons with one id: the second overwrites the first, so the index holds one fewer.
    duplicated = replace(data, persons=(*data.persons, data.persons[0]))
    with pytest.raises(PublishFailed, match="expected 11, index holds 10"):
        backend.publish(duplicated)
    assert cluster.index_names(f"{ALIAS}-*") == []
    assert backend.dataset_info() is None
    with pytest.raises(NoDataPublished):
        backend.snapshot().__enter__()


def test_a_failed_alias_swap_leaves_the_old_set_served(
    cluster: FakeCluster, backend: ElasticsearchBackend
) -> None:
    before = backend.publish(sample("a"))
    cluster.fail("POST", r"^/_aliases$", 500, times=5)
    with pytest.raises(BackendUnavailable):
        backend.publish(sample("b"))
    assert cluster.index_names(f"{ALIAS}-*") == [f"{ALIAS}-{before.dataset_id}"]
    assert backend.dataset_info() == before


def test_a_lock_held_by_another_import_refuses_the_import(
    cluster: FakeCluster, backend: ElasticsearchBackend
) -> None:
    other = backend_for(cluster)
    with other.import_lock(), pytest.raises(ImportBusy):
        backend.publish(sample())
    assert cluster.index_names(f"{ALIAS}-*") == []
    backend.publish(sample())  # released: the next import runs


def test_an_expired_lease_is_taken_over(cluster: FakeCluster) -> None:
    crashed = ElasticsearchBackend(
        "http://x", options=ClientOptions(node_class=cluster.node_class()), lock_lease=0.01
    )
    with crashed.import_lock():
        time.sleep(0.02)  # the holder hangs past its lease
        info = backend_for(cluster).publish(sample())
    assert cluster.alias_targets(ALIAS) == [f"{ALIAS}-{info.dataset_id}"]


def test_nothing_published_yet(backend: ElasticsearchBackend) -> None:
    assert backend.dataset_info() is None
    with pytest.raises(NoDataPublished), backend.snapshot():
        pass


def test_refused_connections_raise_backend_unavailable_and_recover(
    cluster: FakeCluster, backend: ElasticsearchBackend
) -> None:
    backend.publish(sample())
    cluster.down = True
    with pytest.raises(BackendUnavailable, match="ConnectionError"):
        backend.ping()
    with pytest.raises(BackendUnavailable), backend.snapshot():
        pass
    cluster.down = False  # nothing cached: the next call simply works
    backend.ping()
    with backend.snapshot() as snap:
        assert snap.get_vehicle("D0123A") is not None


def test_a_slow_cluster_times_out_within_the_bound(cluster: FakeCluster) -> None:
    backend = backend_for(cluster, request_timeout=0.05)
    backend.publish(sample())
    cluster.latency = 5.0
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match="ConnectionTimeout"), backend.snapshot():
        pass
    # One try and one retry (max_retries=1), each cut at the request timeout.
    assert time.monotonic() - started < 1.0
    assert len([r for r in cluster.requests if r.path == f"/{ALIAS}/_mapping"]) == 2


@pytest.mark.parametrize(
    "read",
    [lambda snap: snap.find_plate("D0123A"), lambda snap: snap.licenses_of(["P1", "P2"])],
    ids=["find_plate", "licenses_of"],
)
def test_a_timeout_mid_lookup_raises_backend_unavailable(
    cluster: FakeCluster, backend: ElasticsearchBackend, read: Callable[[Any], object]
) -> None:
    backend.publish(sample())
    with backend.snapshot() as snap:
        cluster.fail("POST", r"/_search$", "timeout", times=2)
        with pytest.raises(BackendUnavailable):
            read(snap)


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_error_answers_raise_backend_unavailable(
    cluster: FakeCluster, backend: ElasticsearchBackend, status: int
) -> None:
    backend.publish(sample())
    cluster.fail("GET", r"/_mapping$", status, times=2)
    with pytest.raises(BackendUnavailable, match=f"HTTP {status}"), backend.snapshot():
        pass


def test_a_retried_5xx_that_then_succeeds_is_invisible(
    cluster: FakeCluster, backend: ElasticsearchBackend
) -> None:
    backend.publish(sample())
    cluster.fail("GET", r"/_mapping$", 503, times=1)
    with backend.snapshot() as snap:
        assert snap.info.counts["vehicles"] == 3


def test_requests_use_the_compatibility_mime_type(
    cluster: FakeCluster, backend: ElasticsearchBackend
) -> None:
    backend.publish(sample())
    bulk = next(r for r in cluster.requests if r.path == "/_bulk")
    assert bulk.headers["content-type"] == (
        "application/vnd.elasticsearch+x-ndjson; compatible-with=8"
    )
    search = next(r for r in cluster.requests if r.path.endswith("/_count"))
    assert search.headers["accept"] == "application/vnd.elasticsearch+json; compatible-with=8"


def test_unknown_plates_and_bad_input(backend: ElasticsearchBackend) -> None:
    backend.publish(sample())
    with backend.snapshot() as snap:
        assert snap.find_plate("ZZ999") == []
        assert snap.get_vehicle("!!") is None
        with pytest.raises(ValueError, match="plate"):
            snap.find_plate("")
        with pytest.raises(ValueError, match="known"):
            snap.find_plate_pattern("D?*")


def test_an_import_holds_the_lock_from_its_start_and_publishes_inside_it(
    cluster: FakeCluster, backend: ElasticsearchBackend
) -> None:
    with backend.import_lock():
        # Validation would run here; a second import (another instance) is refused meanwhile.
        with pytest.raises(ImportBusy):
            backend_for(cluster).publish(sample())
        info = backend.publish(sample())  # reuses the lease it already holds
        assert cluster.indices["dipcheck-locks"].docs  # still held until the block ends
    assert cluster.indices["dipcheck-locks"].docs == {}
    assert cluster.alias_targets(ALIAS) == [f"{ALIAS}-{info.dataset_id}"]


def test_ping_checks_that_the_published_index_can_be_searched(
    cluster: FakeCluster, backend: ElasticsearchBackend
) -> None:
    backend.ping()  # nothing published: the cluster answering is enough
    backend.publish(sample())
    backend.ping()
    # The cluster answers, but the index's shards are gone (status red): not ready.
    cluster.fail("POST", rf"^/{ALIAS}/_search$", 503, times=2)
    with pytest.raises(BackendUnavailable, match="HTTP 503"):
        backend.ping()
    probe = [r for r in cluster.requests if r.path == f"/{ALIAS}/_search"][-1]
    assert probe.params == {"allow_partial_search_results": "false"}
    assert probe.body == {"size": 0, "track_total_hits": False}


def test_no_plate_or_number_reaches_the_operational_logs(
    backend: ElasticsearchBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    backend.publish(sample())
    with backend.snapshot() as snap:
        snap.get_vehicle("D0123A")
        snap.find_plate("D0123A")
        snap.find_license("L77")
        snap.find_credential("DA12345")
        snap.search_persons("Muller")
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("D0123A", "L77", "DA12345", "uller"):
        assert secret not in text


def test_a_lease_renewed_during_a_publish_is_released_at_its_end(cluster: FakeCluster) -> None:
    backend = ElasticsearchBackend(
        "http://x", options=ClientOptions(node_class=cluster.node_class()), lock_lease=0.0
    )
    backend.publish(sample())  # a zero lease is renewed at every chance
    assert [p for p in cluster.paths("PUT") if p.startswith("/dipcheck-locks/_doc/")]
    assert cluster.indices["dipcheck-locks"].docs == {}
    backend_for(cluster).publish(sample("b"))  # nothing left behind to wait for


def test_a_lease_taken_over_mid_import_stops_the_import(cluster: FakeCluster) -> None:
    slow = ElasticsearchBackend(
        "http://x", options=ClientOptions(node_class=cluster.node_class()), lock_lease=0.01
    )
    with slow.import_lock():
        time.sleep(0.02)  # the holder hangs past its lease, and another import takes it over
        with backend_for(cluster).import_lock(), pytest.raises(ImportBusy, match="taken over"):
            slow.publish(sample())
    assert cluster.alias_targets(ALIAS) == []
