"""The app on a private 3-node cluster (one replica of every index) while nodes fail.

- Imports swap the alias under steady lookups: no lookup fails or comes back empty.
- A node stops during lookups: each lookup answers (200 with the record) or says 503 "cannot
  verify now"; never "no record", never a 500.
- A node stops during an import: the publish completes or aborts; either way one whole set is
  served, never part of one.
- The whole cluster stops: 503 with the 24/7 number; once it is back, lookups work again with
  no app restart.

The app is pointed at node 1 (DIPCHECK_ELASTICSEARCH_URL names one URL); node 3 is the one
stopped. Each stop and restart is a real JVM killed by PID and started again on the same data.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from elastic_transport import HttpHeaders, Urllib3HttpNode
from flask import Flask

from lookup import create_app
from lookup.cli_data import import_directory
from lookup.extensions import search_backend, state_store
from lookup.identity import accounts
from lookup.identity.key_cache import clear_cache
from search_index.backend import BackendError
from search_index.demo_data import write_demo_data
from search_index.importer import load_directory
from tests.live_cluster import LocalCluster, local_cluster
from tests.lookup.conftest import bearer

# Starting JVMs on a loaded 2-core machine can outlast the suite's 300 s per test.
pytestmark = [pytest.mark.es_cluster, pytest.mark.timeout(900)]

UNLIMITED = "1000000/minute"
VERIFY_PHONE = "(571) 345-3146"  # the default DIPCHECK_VERIFY_PHONE


class RecordingNode(Urllib3HttpNode):
    """The real HTTP node, but every failed request is recorded (method, path, status or
    exception, body): when a lookup fails, the assertion names the request that failed.

    While `deadline` is set, no request times out before it instead of the app's 2 s: three JVMs
    and the test share two loaded cores, and a read that is merely slow there is no lost lookup.
    A failure Elasticsearch answers (404 for an index gone, 503 for a shard not ready) still
    fails the lookup, as does an empty answer."""

    failures: ClassVar[list[str]] = []
    deadline: ClassVar[float | None] = None
    _lock = threading.Lock()

    def perform_request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: Any = None,  # the transport always passes it (a number or its DEFAULT)
    ) -> Any:  # NodeApiResponse, importable only from a private module
        timeout = request_timeout
        if self.deadline is not None and isinstance(request_timeout, float | int):
            timeout = max(self.deadline, request_timeout)
        start = time.monotonic()
        try:
            response = super().perform_request(method, target, body, headers, timeout)
        except Exception as error:
            self._record(start, method, target, type(error).__name__)
            raise
        # 404s are answers the app expects (an id not found, an index not yet created).
        if response.meta.status >= 500 or response.meta.status == 429:
            self._record(start, method, target, f"{response.meta.status} {response.body[:300]!r}")
        return response

    @classmethod
    def _record(cls, start: float, method: str, target: str, outcome: str) -> None:
        with cls._lock:
            cls.failures.append(
                f"{threading.current_thread().name}: {method} {target} -> {outcome}"
                f" after {time.monotonic() - start:.2f} s"
            )


@dataclass
class Deployed:
    app: Flask
    key: str
    demo: Path
    plates: list[str]
    total: int  # documents of one whole set


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    with local_cluster(tmp_path_factory.mktemp("es3"), nodes=3) as started:
        yield started


@pytest.fixture(scope="module")
def deployed(cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    demo = tmp_path_factory.mktemp("demo")
    write_demo_data(demo, scale="small", seed=11)
    dataset = load_directory(demo)
    app = create_app(
        data_dir=tmp_path_factory.mktemp("data"),
        elasticsearch_url=cluster.url,
        ratelimit_lookups=UNLIMITED,
        # Stopping three JVMs outlasts the default 5 s key cache. These tests pin the record
        # index's failures; a key checked against a stopped cluster (issue 11 item 2) is pinned
        # by test_live_cluster_down.py.
        apikey_cache_seconds=300,
        ELASTICSEARCH_NODE_CLASS=RecordingNode,
        TESTING=True,
    )
    with app.app_context():
        import_directory(search_backend(), demo)
        agency = accounts.create_agency(state_store(), f"Failover Police {secrets.token_hex(3)}")
        _, key = accounts.create_api_key(state_store(), agency, role="officer")
    plates = [v.plate for v in dataset.vehicles[::6]]
    yield Deployed(app, key, demo, plates, sum(dataset.counts().values()))
    with app.app_context():
        search_backend().close()
        state_store().close()
    clear_cache()


class Lookups:
    """Plate lookups of known plates from `threads` threads until stopped; outcomes counted as
    "match", "empty" (200 without the record: must never happen), "503" or another status."""

    def __init__(self, deployed: Deployed, threads: int = 2) -> None:
        self.deployed = deployed
        self.outcomes: Counter[str] = Counter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(n,)) for n in range(threads)]

    def _run(self, offset: int) -> None:
        client = self.deployed.app.test_client()
        plates = self.deployed.plates
        n = offset
        while not self._stop.is_set():
            plate = plates[n % len(plates)]
            n += 1
            response = client.get(
                f"/api/v1/plates/{plate}?reason=traffic_stop", headers=bearer(self.deployed.key)
            )
            if response.status_code == 200:
                matches = response.get_json()["matches"]
                found = any(m["vehicle"]["plate"] == plate for m in matches)
                outcome = "match" if found else "empty"
            elif response.status_code == 503:
                assert VERIFY_PHONE in response.get_json()["error"]["message"]
                outcome = "503"
            else:
                outcome = str(response.status_code)
            with self._lock:
                self.outcomes[outcome] += 1

    def __enter__(self) -> Lookups:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)


def served_documents(deployed: Deployed) -> tuple[str, int]:
    """The served set's id and how many documents its index holds."""
    from search_index.elasticsearch.backend import ElasticsearchBackend

    with deployed.app.app_context():
        backend = search_backend()
        assert isinstance(backend, ElasticsearchBackend)
        info = backend.dataset_info()
        assert info is not None
        with backend.snapshot() as snapshot:
            count = int(backend._es.count(index=snapshot.index)["count"])
    return info.dataset_id, count


def test_alias_swaps_under_steady_lookups_lose_no_lookup(deployed: Deployed) -> None:
    RecordingNode.failures.clear()
    RecordingNode.deadline = 20.0
    try:
        with Lookups(deployed) as lookups, deployed.app.app_context():
            for _ in range(3):
                import_directory(search_backend(), deployed.demo)
            time.sleep(0.5)
    finally:
        RecordingNode.deadline = None
    assert lookups.outcomes["match"] > 0
    assert set(lookups.outcomes) == {"match"}, (lookups.outcomes, RecordingNode.failures)


def test_a_node_stopped_during_lookups_gives_answers_or_503_never_no_record(
    deployed: Deployed, cluster: LocalCluster
) -> None:
    with Lookups(deployed) as lookups:
        time.sleep(1)
        cluster.stop_node(3)
        time.sleep(3)
        cluster.resume_node(3)
        time.sleep(1)
    assert lookups.outcomes["match"] > 0
    assert set(lookups.outcomes) <= {"match", "503"}, lookups.outcomes


def test_a_node_stopped_during_an_import_serves_one_whole_set(
    deployed: Deployed, cluster: LocalCluster
) -> None:
    before, _ = served_documents(deployed)
    outcome: list[str] = []

    def publish() -> None:
        with deployed.app.app_context():
            try:
                import_directory(search_backend(), deployed.demo)
                outcome.append("published")
            except BackendError as error:
                outcome.append(f"aborted: {error}")

    importer = threading.Thread(target=publish)
    importer.start()
    time.sleep(0.3)
    cluster.stop_node(3)
    importer.join(timeout=240)
    assert outcome, "the import neither finished nor failed"
    try:
        served, documents = served_documents(deployed)
        assert documents == deployed.total
        if outcome[0] == "published":
            assert served != before
        else:
            assert served == before
    finally:
        cluster.resume_node(3)


def test_the_whole_cluster_down_is_503_then_recovers_without_restart(
    deployed: Deployed, cluster: LocalCluster
) -> None:
    client = deployed.app.test_client()
    plate = deployed.plates[0]
    url = f"/api/v1/plates/{plate}?reason=traffic_stop"
    assert client.get(url, headers=bearer(deployed.key)).status_code == 200
    cluster.halt()
    try:
        down = client.get(url, headers=bearer(deployed.key))
        assert down.status_code == 503
        assert VERIFY_PHONE in down.get_json()["error"]["message"]
        assert client.get("/readyz").status_code == 503
    finally:
        cluster.resume_all()
    back = client.get(url, headers=bearer(deployed.key))
    assert back.status_code == 200
    assert any(m["vehicle"]["plate"] == plate for m in back.get_json()["matches"])
