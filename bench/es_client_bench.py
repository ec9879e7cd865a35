"""Client-side overhead of the Elasticsearch backend's lookup path. NOT server latency.

    python bench/es_client_bench.py [--scale small|full] [--count 500] [--seed 1] [--json FILE]

No Elasticsearch server is involved. The script publishes the synthetic data set through the
backend into the in-memory fake node of the tests (tests/search_index/elasticsearch/es_fakes.py),
runs every query once to record the fake's answer bytes, and then times the lookups with a node that
replays those bytes. What the timings contain is therefore exactly what the app pays on its side for
one lookup: building the query, the real `elasticsearch` client and transport (headers, JSON
serialisation, response parsing, product check), decoding records and the Python ranking shared
with SQLite, plus the `snapshot()` request that pins the index. What they leave out is everything
a real cluster adds: the network round trips (2 per plate lookup, 3 to 5 per name search) and
Elasticsearch's own search time. Add those from your cluster's monitoring before comparing with
the SQLite figures of bench/index_bench.py.

A trivial Flask endpoint through the test client is measured in the same run for scale.
The queries are bench/index_bench.py's: exact, confusable, partial plates and name searches.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from elastic_transport import BaseNode, HttpHeaders, NodeConfig  # noqa: E402
from index_bench import build_queries, flask_baseline, measure  # noqa: E402

from search_index.demo_data import write_demo_data  # noqa: E402
from search_index.elasticsearch.backend import ElasticsearchBackend  # noqa: E402
from search_index.elasticsearch.client import ClientOptions  # noqa: E402
from search_index.importer import load_directory  # noqa: E402
from tests.search_index.elasticsearch.es_fakes import FakeCluster  # noqa: E402


def replaying(cluster: FakeCluster) -> tuple[type[BaseNode], dict[str, int]]:
    """A node class that answers from recorded bytes, asking the fake only for new requests."""
    fake_node = cluster.node_class()
    recorded: dict[tuple[str, str, bytes | None], Any] = {}
    stats = {"recorded": 0, "replayed": 0}

    class ReplayNode(BaseNode):
        _CLIENT_META_HTTP_CLIENT = ("rp", "1.0")

        def __init__(self, config: NodeConfig) -> None:
            super().__init__(config)
            self._fake = fake_node(config)

        def perform_request(
            self,
            method: str,
            target: str,
            body: bytes | None = None,
            headers: HttpHeaders | None = None,
            request_timeout: Any = None,
        ) -> Any:
            key = (method, target, body)
            if key in recorded:
                stats["replayed"] += 1
                return recorded[key]
            stats["recorded"] += 1
            answer = self._fake.perform_request(method, target, body, headers, request_timeout)
            recorded[key] = answer
            return answer

    return ReplayNode, stats


def run(scale: str, count: int, seed: int, workdir: Path) -> dict[str, Any]:
    csv_dir = workdir / "csv"
    write_demo_data(csv_dir, scale=scale, seed=seed, today=date.today())  # type: ignore[arg-type]
    dataset = load_directory(csv_dir)
    cluster = FakeCluster()
    node_class, stats = replaying(cluster)
    backend = ElasticsearchBackend(
        "http://es.invalid:9200", options=ClientOptions(node_class=node_class)
    )
    t0 = time.perf_counter()
    info = backend.publish(dataset)
    publish_s = time.perf_counter() - t0

    queries = build_queries(dataset, count, seed)

    def exact(plate: str) -> Any:
        with backend.snapshot() as snap:
            return snap.find_plate(plate)

    def confusable(plate: str) -> Any:
        with backend.snapshot() as snap:
            return snap.find_plate(plate)

    def partial(pattern: str) -> Any:
        with backend.snapshot() as snap:
            return snap.find_plate_pattern(pattern)

    def name(query: tuple[str, str]) -> Any:
        with backend.snapshot() as snap:
            return snap.search_persons(query[0])

    kinds = [
        ("snapshot() + exact plate", exact, queries["exact"]),
        ("snapshot() + confusable plate", confusable, queries["confusable"]),
        ("snapshot() + partial pattern", partial, queries["partial"]),
        ("snapshot() + name search", name, queries["names"]),
    ]
    for _, fn, items in kinds:  # record every answer once; the timed runs only replay
        for item in items:
            fn(item)
    recorded = stats["recorded"]
    rows = [measure(label, fn, items) for label, fn, items in kinds]
    rows.append(flask_baseline(count))
    assert stats["recorded"] == recorded, "a timed lookup reached the fake instead of the replay"
    return {
        "scale": scale,
        "counts": info.counts,
        "publish_through_fake_s": publish_s,
        "requests_replayed": stats["replayed"],
        "rows": rows,
    }


def fmt_us(us: float) -> str:
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.1f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["small", "full"], default="small")
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.scale, args.count, args.seed, Path(tmp))
    print(f"data set: {result['counts']}")
    print(
        f"publish through the client into the in-memory fake: "
        f"{result['publish_through_fake_s']:.1f} s (fake's own work included)"
    )
    print("\nclient-side overhead only (no network, no Elasticsearch search time):\n")
    print("| operation | n | p50 | p99 | mean | per second (1 thread) |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in result["rows"]:
        p50, p99, mean = (fmt_us(row[k]) for k in ("p50_us", "p99_us", "mean_us"))
        print(
            f"| {row['operation']} | {row['n']} | {p50} | {p99} | {mean} "
            f"| {row['per_second']:,.0f} |"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
