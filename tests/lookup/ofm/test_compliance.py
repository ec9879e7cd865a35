"""Insurance compliance by mission on both search backends (SQLite, and Elasticsearch through the
fake node and, with ELASTICSEARCH_URL, on a live cluster), against the data set built for it
(tests/compliance_data.py)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lookup.ofm.compliance import compliance, days_lapsed, to_fix
from lookup.rules.insurance import InsuranceRules, insurance_on
from search_index.backend import SearchBackend
from search_index.elasticsearch.backend import ElasticsearchBackend
from search_index.elasticsearch.client import ClientOptions
from search_index.records import Vehicle
from search_index.sqlite.backend import SQLiteBackend
from tests.compliance_data import (
    AS_OF,
    EXPECTED,
    EXPECTED_TO_FIX,
    compliance_dataset,
)
from tests.factories import DIPLOMAT_ID, MISSION_ID, SECOND_MISSION_ID, small_dataset
from tests.live_elasticsearch import live_url
from tests.search_index.conftest import drop_elasticsearch_indices, make_elasticsearch_backend
from tests.search_index.elasticsearch.es_fakes import FakeCluster

RULES = InsuranceRules()


@pytest.fixture(
    params=[
        "sqlite",
        "elasticsearch-fake",
        pytest.param("elasticsearch", marks=pytest.mark.es_live),
    ]
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchBackend]:
    if request.param == "sqlite":
        built: SearchBackend = SQLiteBackend(tmp_path / "data")
    elif request.param == "elasticsearch":
        built = make_elasticsearch_backend(live_url())
    else:
        cluster = FakeCluster()
        built = ElasticsearchBackend(
            "http://es.invalid:9200", options=ClientOptions(node_class=cluster.node_class())
        )
    try:
        built.publish(compliance_dataset())
        yield built
    finally:
        built.close()
        if request.param == "elasticsearch":
            drop_elasticsearch_indices(live_url(), built)


def test_counts_by_mission_as_of_the_chosen_day(backend: SearchBackend) -> None:
    with backend.snapshot() as snap:
        report = compliance(snap, AS_OF, RULES)
    assert {m.mission_id: m.by_status for m in report.missions} == EXPECTED
    first = report.missions[0]
    assert first.mission_id == SECOND_MISSION_ID  # missions by id: M-COR before M-VAL
    assert first.mission is not None
    assert first.mission.name == "Consulate General of Corvania"
    assert first.compliant_rate == 0.5
    by_id = {m.mission_id: m for m in report.missions}
    assert by_id[MISSION_ID].vehicles == 12
    assert by_id[MISSION_ID].compliant_rate == round(6 / 12, 4)
    assert report.totals == {
        s: EXPECTED[MISSION_ID][s] + EXPECTED[SECOND_MISSION_ID][s] for s in EXPECTED[MISSION_ID]
    }


def test_boundary_days_move_between_statuses(backend: SearchBackend) -> None:
    """The day after AS_OF: the policy that ended on AS_OF has lapsed, the one effective the
    next day is in force, and 31 days ahead has become 30 (expiring)."""
    with backend.snapshot() as snap:
        report = compliance(snap, AS_OF + timedelta(days=1), RULES)
    counts = {m.mission_id: m.by_status for m in report.missions}[MISSION_ID]
    assert counts == {
        "active": 2,  # CMP010, and CMP002 now in force (ends in a year)
        "expiring": 3,  # CMP007, CMP008, CMP009
        "lapsed": 4,  # CMP001 joins CMP003, CMP004, CMP012
        "not_yet_effective": 0,
        "below_minimum": 1,
        "none": 1,
        "not_required": 1,
    }


@pytest.mark.parametrize("offset", [-400, -201, -200, -46, -45, -2, 0, 2, 29, 60, 91, 364, 366])
def test_aggregate_equals_the_rule_applied_vehicle_by_vehicle(
    backend: SearchBackend, offset: int
) -> None:
    day = AS_OF + timedelta(days=offset)
    dataset = compliance_dataset()
    mission_of = {p.person_id: p.mission_id for p in dataset.persons}
    naive: dict[str, Counter[str]] = {}
    for v in dataset.vehicles:
        fleet = v.owner_mission_id or mission_of[v.owner_person_id or ""]
        naive.setdefault(fleet, Counter())[insurance_on(v, day, RULES).status] += 1
    with backend.snapshot() as snap:
        report = compliance(snap, day, RULES)
    assert {m.mission_id: +Counter(m.by_status) for m in report.missions} == naive


def test_vehicles_to_fix_with_days_lapsed(backend: SearchBackend) -> None:
    with backend.snapshot() as snap:
        found = to_fix(snap, MISSION_ID, AS_OF, RULES)
        assert to_fix(snap, "M-none", AS_OF, RULES) == []
    assert {v.plate: (v.status, v.days_lapsed) for v in found} == EXPECTED_TO_FIX
    # Most urgent first: lapsed (longest first), then none, below minimum, not yet, expiring.
    assert [v.plate for v in found] == [
        "CMP012",
        "CMP003",
        "CMP004",
        "CMP005",
        "CMP011",
        "CMP002",
        "CMP001",
        "CMP008",
    ]


def test_days_lapsed_is_one_on_the_day_after_the_last_covered_day() -> None:
    vehicle = compliance_dataset().vehicles[0]  # CMP001: last covered day is AS_OF
    assert days_lapsed(vehicle, "expiring", AS_OF) is None
    assert days_lapsed(vehicle, "lapsed", AS_OF + timedelta(days=1)) == 1


def test_elasticsearch_counts_fleets_by_composite_aggregation() -> None:
    """On Elasticsearch the vehicles are counted in the cluster: every search that reads vehicles
    asks for no hits, only composite-aggregation buckets; no vehicle document comes back."""
    cluster = FakeCluster()
    backend = ElasticsearchBackend(
        "http://es.invalid:9200", options=ClientOptions(node_class=cluster.node_class())
    )
    backend.publish(compliance_dataset())
    with backend.snapshot() as snap:
        before = len(cluster.requests)
        report = compliance(snap, AS_OF, RULES)
        sent = [r for r in cluster.requests[before:] if r.path.endswith("/_search")]
    backend.close()
    assert {m.mission_id: m.by_status for m in report.missions} == EXPECTED
    on_vehicles = [r.body for r in sent if {"term": {"kind": "vehicle"}} in _filters(r.body)]
    assert on_vehicles  # the fleets were counted by a search
    for body in on_vehicles:
        assert body["size"] == 0
        assert "composite" in body["aggs"]["groups"]
    assert len(sent) == len(on_vehicles) + 1  # and one page of missions, for their names


def _filters(body: dict[str, object]) -> list[object]:
    query = body.get("query")
    assert isinstance(query, dict)
    filters = query.get("bool", {}).get("filter", [])
    assert isinstance(filters, list)
    return filters


def test_a_set_without_vehicles_has_no_missions(tmp_path: Path) -> None:
    backend = SQLiteBackend(tmp_path / "data")
    backend.publish(dataclasses.replace(small_dataset(), vehicles=()))
    with backend.snapshot() as snap:
        report = compliance(snap, AS_OF, RULES)
    backend.close()
    assert report.missions == []
    assert sum(report.totals.values()) == 0


_DAYS = st.none() | st.integers(-60, 60).map(lambda n: AS_OF + timedelta(days=n))
_LIMITS = st.none() | st.sampled_from([0, 50_000, 99_999, 100_000, 300_000, 1_000_000])


@st.composite
def _vehicles(draw: st.DrawFn) -> tuple[Vehicle, ...]:
    count = draw(st.integers(1, 25))
    owners = [("mission", MISSION_ID), ("mission", SECOND_MISSION_ID), ("person", DIPLOMAT_ID)]
    out = []
    for n in range(count):
        kind, owner = draw(st.sampled_from(owners))
        out.append(
            Vehicle(
                plate=f"HV{n:04d}",
                registration_status="active",
                owner_person_id=owner if kind == "person" else None,
                owner_mission_id=owner if kind == "mission" else None,
                vehicle_type=draw(st.sampled_from(["car", "motorcycle", "trailer", "other"])),
                insurer=draw(st.none() | st.just("Meridian Mutual")),
                policy_number=draw(st.none() | st.just(f"PN{n}")),
                policy_effective=draw(_DAYS),
                policy_expiry=draw(_DAYS),
                policy_cancelled=draw(st.booleans()),
                coverage_csl=draw(_LIMITS),
                coverage_bi_person=draw(_LIMITS),
                coverage_bi_accident=draw(_LIMITS),
                coverage_pd=draw(_LIMITS),
            )
        )
    return tuple(out)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(vehicles=_vehicles(), offset=st.integers(-3, 3))
def test_any_fleet_counts_as_the_rule_applied_to_each_vehicle(
    tmp_path_factory: pytest.TempPathFactory, vehicles: tuple[Vehicle, ...], offset: int
) -> None:
    """Whatever the policies, the grouped aggregate gives the counts of the rule applied vehicle
    by vehicle, on SQLite and on Elasticsearch (fake node)."""
    day = AS_OF + timedelta(days=offset)
    dataset = dataclasses.replace(small_dataset(), vehicles=vehicles)
    mission_of = {p.person_id: p.mission_id for p in dataset.persons}
    naive: dict[str, Counter[str]] = {}
    for v in vehicles:
        fleet = v.owner_mission_id or mission_of[v.owner_person_id or ""]
        naive.setdefault(fleet, Counter())[insurance_on(v, day, RULES).status] += 1
    backends: list[SearchBackend] = [
        SQLiteBackend(tmp_path_factory.mktemp("hyp") / "data"),
        ElasticsearchBackend(
            "http://es.invalid:9200", options=ClientOptions(node_class=FakeCluster().node_class())
        ),
    ]
    for backend in backends:
        backend.publish(dataset)
        with backend.snapshot() as snap:
            report = compliance(snap, day, RULES)
        backend.close()
        assert {m.mission_id: +Counter(m.by_status) for m in report.missions} == naive
