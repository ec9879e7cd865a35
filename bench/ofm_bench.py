"""OFM workspace benchmark: the insurance-compliance aggregate and each export on SQLite or on a
live Elasticsearch, beside the trivial endpoint in the same run.

    python bench/ofm_bench.py [--scale small|full|fleet10x] [--backend sqlite|elasticsearch]
                              [--elasticsearch-url URL] [--incidents N] [--requests 100]
                              [--clients 2] [--seconds 10] [--server gunicorn|threaded]

It generates the synthetic data set (full: 2,600 missions, 124,000 persons, 12,000 vehicles;
fleet10x: ten times the missions and vehicles, the same persons and licences), imports it with
`dipcheck import`'s own function (timed) into a fresh SQLite data directory or into the
Elasticsearch cluster at `--elasticsearch-url` (default: $ELASTICSEARCH_URL), creates an OFM
agency with an analyst key, and writes incident reports (default 1,000, 10,000 at fleet10x)
about persons of the set, with locations (timed; seeding is not what is measured): on SQLite
through the state store's own `incidents.add`, one committed report a call; on Elasticsearch,
where `add` refreshes the index for each report, in bulk requests of the store's own documents.
On Elasticsearch the records, the state (keys, audit, incidents) and the reports all live in the
cluster, which must hold no published set yet: use a fresh node for each run. On Elasticsearch
it then runs the compliance aggregate once in process and prints what it asked the cluster
(composite-aggregation pages, and the documents returned by kind: no vehicle may be among them),
then the review flags and the dashboard's incident and travel charts (no search may ask for or
return hits; only the latest report of each person or mission shown is read, by `top_hits`).
It serves the real app (by default gunicorn, 2 sync workers; `GET /healthz` as the trivial
endpoint) and measures p50/p99 of sequential requests, whole answers read, and throughput with
concurrent clients of:

1. `GET /healthz`;
2. `GET /api/v1/ofm/insurance-compliance` (JSON) and `?format=csv`;
3. `GET /api/v1/ofm/insurance-compliance/{mission_id}` for the missions with most vehicles;
4. `GET /api/v1/ofm/flags`;
5. `GET /api/v1/ofm/exports/{name}` for each of the six exports.

Every request is audited, so the audit records grow during the run. The machine is shared:
figures are noisy.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from elasticsearch import helpers  # noqa: E402

from bench import harness  # noqa: E402
from bench.incidents_bench import _report  # noqa: E402
from lookup.cli_data import import_directory  # noqa: E402
from lookup.extensions import search_backend, state_store  # noqa: E402
from lookup.identity import accounts  # noqa: E402
from lookup.ofm import charts, flags  # noqa: E402
from lookup.ofm.compliance import compliance  # noqa: E402
from lookup.ofm.exports import EXPORTS  # noqa: E402
from lookup.rules.insurance import InsuranceRules  # noqa: E402
from lookup.store.base import Document  # noqa: E402
from lookup.store.elasticsearch.incidents import ElasticsearchIncidentStore, _source  # noqa: E402
from lookup.store.incidents import IncidentStore  # noqa: E402
from search_index.elasticsearch.backend import ElasticsearchSnapshot  # noqa: E402

# Reports written before serving: the full scale's 1,000, ten times that beside ten times the
# fleets.
INCIDENTS = {"small": 1000, "full": 1000, "fleet10x": 10_000}


def _busiest_missions(csv_dir: Path) -> list[str]:
    with (csv_dir / "persons.csv").open(encoding="utf-8") as handle:
        mission_of = {row["person_id"]: row["mission_id"] for row in csv.DictReader(handle)}
    with (csv_dir / "vehicles.csv").open(encoding="utf-8") as handle:
        fleets = Counter(
            row["owner_mission_id"] or mission_of[row["owner_person_id"]]
            for row in csv.DictReader(handle)
        )
    return [mission for mission, _ in fleets.most_common(20)]


def _reports(csv_dir: Path, count: int, agency: accounts.Agency) -> Iterator[dict[str, Any]]:
    """`count` reports (bench/incidents_bench.py's shape: the last two years, six kinds, 70 %
    assessed) about persons drawn from the set, each with a spot near the District."""
    with (csv_dir / "missions.csv").open(encoding="utf-8") as handle:
        missions = {row["mission_id"]: row for row in csv.DictReader(handle)}
    with (csv_dir / "persons.csv").open(encoding="utf-8") as handle:
        persons = list(csv.DictReader(handle))
    rng = random.Random(11)
    for number in range(count):
        person = rng.choice(persons)
        document = _report(number, rng, person, missions[person["mission_id"]], agency)
        document["location"] = {
            "latitude": round(38.85 + rng.random() * 0.1, 5),
            "longitude": round(-77.1 + rng.random() * 0.1, 5),
            "description": None,
        }
        yield document


def write_reports(incidents: IncidentStore, documents: Iterable[Document]) -> None:
    """Store `documents` as new reports. The Elasticsearch store's `add` refreshes the index for
    each report (about 85 ms a report on the loaded machine, 14 minutes for 10,000): there they go
    in bulk requests of 1,000, as the store shapes them (`_source`), created, refreshed once a
    request."""
    if isinstance(incidents, ElasticsearchIncidentStore):
        incidents.ensure()
        actions = (
            {
                "_op_type": "create",
                "_index": incidents._index,
                "_id": document["incident_id"],
                "_source": _source(document, 1),
            }
            for document in documents
        )
        helpers.bulk(incidents._es, actions, chunk_size=1000, refresh=True)
        return
    for document in documents:
        incidents.add(document)


@dataclass
class ClusterReads:
    """What one run of the compliance aggregate asked Elasticsearch: searches sent, the composite
    aggregation's pages and buckets, and the documents returned as hits, by record kind."""

    searches: int = 0
    composite_pages: int = 0
    buckets: int = 0
    hits: Counter[str] = field(default_factory=Counter)

    def record(self, body: dict[str, Any], answer: dict[str, Any]) -> None:
        self.searches += 1
        for name, aggregation in body.get("aggs", {}).items():
            if "composite" in aggregation:
                self.composite_pages += 1
                self.buckets += len(answer["aggregations"][name]["buckets"])
        self.hits.update(str(hit["_source"].get("kind")) for hit in answer["hits"]["hits"])


def compliance_reads(
    snapshot: ElasticsearchSnapshot, as_of: date, rules: InsuranceRules
) -> ClusterReads:
    """Run the compliance aggregate on `snapshot`, recording every search it sends."""
    reads = ClusterReads()
    search_raw = snapshot._search_raw

    def recorded(body: dict[str, Any]) -> dict[str, Any]:
        answer = search_raw(body)
        reads.record(body, answer)
        return answer

    snapshot._search_raw = recorded  # type: ignore[method-assign]
    try:
        compliance(snapshot, as_of, rules)
    finally:
        del snapshot._search_raw
    return reads


@dataclass
class IncidentReads:
    """What the dashboard's incident and travel charts and the review flags asked Elasticsearch
    in one run: searches, those that asked for or returned hits (none may), and the reports
    returned by `top_hits` (the latest of each person or mission shown, its shown fields only)."""

    searches: int = 0
    with_hits: int = 0
    latest_reports: int = 0
    flagged: int = 0
    charted: int = 0

    def record(self, body: dict[str, Any], answer: dict[str, Any]) -> None:
        self.searches += 1
        if body.get("size", 10) or answer["hits"]["hits"]:
            self.with_hits += 1
        for aggregation in body.get("aggs", {}).values():
            if "latest" in aggregation.get("aggs", {}):
                buckets = answer["aggregations"]["groups"]["buckets"]
                self.latest_reports += sum(len(b["latest"]["hits"]["hits"]) for b in buckets)


def incident_reads(
    incidents: ElasticsearchIncidentStore, snapshot: ElasticsearchSnapshot, as_of: date
) -> IncidentReads:
    """Run the review flags and the dashboard's incident and travel charts once, recording
    every search they send to the incident index and to the published records."""
    reads = IncidentReads()
    client = incidents._es
    search = client.search
    search_raw = snapshot._search_raw

    def recorded(**request: Any) -> Any:
        answer = search(**request)
        reads.record(request, dict(answer))
        return answer

    def recorded_raw(body: dict[str, Any]) -> dict[str, Any]:
        answer = search_raw(body)
        reads.record(body, answer)
        return answer

    window = flags.incident_window(as_of, UTC)
    client.search = recorded  # type: ignore[method-assign]
    snapshot._search_raw = recorded_raw  # type: ignore[method-assign]
    try:
        persons, missions = flags.repeated(incidents, window)
        charts.incidents_by_month(incidents, window, as_of)
        top = charts.top_missions(incidents, window)
        charts.travel_by_regime(snapshot)
    finally:
        del client.search
        del snapshot._search_raw
    reads.flagged = len(persons) + len(missions)
    reads.charted = len(top.categories)
    return reads


def _arguments() -> argparse.Namespace:
    parser = harness.arguments(__doc__, requests=100)
    parser.add_argument("--backend", choices=["sqlite", "elasticsearch"], default="sqlite")
    parser.add_argument(
        "--elasticsearch-url",
        default=os.environ.get("ELASTICSEARCH_URL"),
        help="a live cluster holding no published set (default: $ELASTICSEARCH_URL)",
    )
    parser.add_argument("--incidents", type=int, help="reports to write (default by scale)")
    args = parser.parse_args()
    if args.backend == "elasticsearch" and not args.elasticsearch_url:
        parser.error("--backend elasticsearch needs --elasticsearch-url or ELASTICSEARCH_URL")
    if args.incidents is None:
        args.incidents = INCIDENTS[args.scale]
    return args


def main() -> None:
    args = _arguments()
    work, counts = harness.demo_data(args.scale, "ofm")
    settings: dict[str, object] = {
        "data_dir": work / "data",
        "log_level": "WARNING",
        "ratelimit_lookups": "100000000/minute",
    }
    if args.backend == "elasticsearch":
        settings["elasticsearch_url"] = args.elasticsearch_url
    # One app imports and seeds, a fresh one serves the measurements.
    seeding = harness.bench_app(settings)
    with seeding.app_context():
        backend = search_backend()
        if args.backend == "elasticsearch" and backend.dataset_info() is not None:
            raise SystemExit("the cluster already holds a published set: start a fresh node")
        started = time.perf_counter()
        import_directory(backend, work / "csv")
        imported = time.perf_counter() - started
        ofm = accounts.create_agency(state_store(), "Bench OFM", kind="ofm")
        _key, analyst_key = accounts.create_api_key(state_store(), ofm, role="analyst")
        police = accounts.create_agency(state_store(), "Bench Police")
        store = state_store()
        started = time.perf_counter()
        write_reports(store.incidents, _reports(work / "csv", args.incidents, police))
        seeded = time.perf_counter() - started
        reads = None
        incident = None
        with backend.snapshot() as snapshot:
            if isinstance(snapshot, ElasticsearchSnapshot):
                today = datetime.now(UTC).date()
                reads = compliance_reads(snapshot, today, InsuranceRules())
                assert isinstance(store.incidents, ElasticsearchIncidentStore)
                incident = incident_reads(store.incidents, snapshot, today)
    print(f"data: {args.scale} scale {counts}, backend {args.backend}")
    print(f"import (validate + publish): {imported:.1f} s")
    print(f"{args.incidents} incident reports written: {seeded:.1f} s")
    if reads is not None:
        print(
            f"compliance aggregate in process: {reads.searches} searches, "
            f"{reads.composite_pages} composite-aggregation pages ({reads.buckets} buckets), "
            f"documents returned by kind {dict(reads.hits)}"
        )
        if reads.hits["vehicle"] or not reads.composite_pages:
            raise SystemExit("the compliance aggregate read vehicles one by one")
    if incident is not None:
        print(
            f"flags and incident/travel charts in process: {incident.searches} searches, "
            f"{incident.with_hits} with hits, {incident.latest_reports} latest reports read "
            f"for {incident.flagged} flags and {incident.charted} charted missions"
        )
        # Hits would be reports or persons read one by one; the latest reports are one per
        # person or mission shown (a few more where missions tie at the chart's cut).
        if incident.with_hits or incident.latest_reports > incident.flagged + 2 * incident.charted:
            raise SystemExit("the review flags or the charts read reports or persons one by one")
    analyst = {"Authorization": f"Bearer {analyst_key}"}
    missions = _busiest_missions(work / "csv")

    def get(path: str) -> Callable[[int], harness.Request]:
        return lambda _index: ("GET", path, b"", analyst)

    base = "/api/v1/ofm"
    cases: list[tuple[str, Callable[[int], harness.Request]]] = [
        ("trivial endpoint", lambda _index: ("GET", "", b"", {})),
        ("compliance (JSON)", get(f"{base}/insurance-compliance")),
        ("compliance (CSV)", get(f"{base}/insurance-compliance?format=csv")),
        (
            "one mission's vehicles",
            lambda index: (
                "GET",
                f"{base}/insurance-compliance/{missions[index % len(missions)]}",
                b"",
                analyst,
            ),
        ),
        ("review flags", get(f"{base}/flags")),
        *((f"export {name}", get(f"{base}/exports/{name}")) for name in EXPORTS),
    ]
    app = harness.bench_app(settings)
    with harness.serving(args, app, settings) as (port, trivial_path, server):
        print(f"server: {server}")
        print(harness.load_average(), flush=True)
        for name, make in cases:
            latencies, rate = harness.http_case(
                port,
                trivial_path,
                make,
                expect=200,
                warmup=2,
                requests=args.requests,
                clients=args.clients,
                seconds=args.seconds,
                timeout=300,
            )
            print(
                f"{name:<32} {harness.latency_summary(latencies)}  "
                f"{rate:7.1f} req/s with {args.clients} clients",
                flush=True,
            )
    print(harness.load_average())
    print(json.dumps({"scale": args.scale, "backend": args.backend, "counts": counts}))


if __name__ == "__main__":
    main()
