"""Incident storage under faults a live server cannot be made to produce on demand, and the
migration of an SQLite state store made before incident reports existed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lookup.store.base import StoreUnavailable
from lookup.store.elasticsearch.store import ElasticsearchStateStore
from lookup.store.incidents import IncidentFilter
from lookup.store.sqlite.store import SQLiteStateStore
from search_index.elasticsearch.client import ClientOptions
from tests.lookup.store.test_incident_store_contract import report
from tests.search_index.elasticsearch.es_fakes import FakeCluster


def test_a_refused_elasticsearch_write_stores_nothing() -> None:
    cluster = FakeCluster()
    store = ElasticsearchStateStore(
        "http://es.invalid:9200", options=ClientOptions(node_class=cluster.node_class())
    )
    store.incidents.add(report("IN-0"))  # the index exists; the next write fails
    cluster.fail("PUT", r"^/dipcheck-incidents/_create/IN-1$", 503, times=10)
    with pytest.raises(StoreUnavailable):
        store.incidents.add(report("IN-1"))
    assert store.incidents.get("IN-1") is None
    assert store.incidents.page(IncidentFilter(), offset=0, limit=10)[1] == 1
    store.close()


def test_an_sqlite_store_made_before_incidents_gains_the_table(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    old = SQLiteStateStore(path)
    old.insert("agencies", {"name": "Old PD"})
    old.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 0
    store = SQLiteStateStore(path)
    store.incidents.add(report("IN-1"))
    assert store.incidents.get("IN-1") is not None
    assert [s.data["name"] for s in store.find("agencies")] == ["Old PD"]
    store.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 1
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"incidents", "incidents_person", "incidents_by_status", "incidents_by_time"} <= names


def test_a_failed_sqlite_write_stores_nothing(tmp_path: Path) -> None:
    store = SQLiteStateStore(tmp_path / "state.sqlite3")
    store.incidents.add(report("IN-0"))
    with sqlite3.connect(tmp_path / "state.sqlite3") as connection:
        connection.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON incidents "
            "BEGIN SELECT RAISE(ABORT, 'full'); END"
        )
    with pytest.raises(StoreUnavailable):
        store.incidents.add(report("IN-1"))
    assert store.incidents.get("IN-1") is None
    store.close()
