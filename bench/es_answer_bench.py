"""Requests each answer sends to a live Elasticsearch, and its time, by kind of lookup.

    python bench/es_answer_bench.py [--scale small|full] [--per-kind 60]
                                    [--elasticsearch-url URL] [--json FILE]

Without --elasticsearch-url it starts a single local node with scripts/elasticsearch.sh and
stops it at the end. It publishes the demo set (seed 1) into the node, turns the answer cache
off (every answer is built, as for a plate no officer looked up yet), and asks the lookups of
`bench/answer_record.py` (exact, typed, confusable and partial plates, ID cards, licences,
names) once each through the app in process, counting the HTTP requests the Elasticsearch
client sends for each and timing it; `GET /healthz` is timed the same way in the same run.
Requests are counted at the client's transport (its public `perform_request`), so they
include the data set's pin, the audit record and the API key's check when its cache misses.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import elastic_transport  # noqa: E402

from bench import harness  # noqa: E402
from bench.answer_record import queries  # noqa: E402
from bench.live_es_bench import cluster_version  # noqa: E402
from lookup import create_app  # noqa: E402
from lookup.cli_data import import_directory  # noqa: E402
from lookup.extensions import search_backend, state_store  # noqa: E402
from lookup.identity import accounts  # noqa: E402
from search_index.demo_data import write_demo_data  # noqa: E402


@contextmanager
def counted_requests() -> Iterator[list[str]]:
    """Every request the Elasticsearch client sends while the block runs, as "METHOD path"."""
    sent: list[str] = []
    original: Callable[..., Any] = elastic_transport.Transport.perform_request

    def perform_request(self: Any, method: str, target: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(f"{method} {target.split('?')[0]}")
        return original(self, method, target, *args, **kwargs)

    elastic_transport.Transport.perform_request = perform_request  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        elastic_transport.Transport.perform_request = original  # type: ignore[method-assign]


def measure(url: str, work: Path, scale: str, per_kind: int) -> dict[str, Any]:
    csv_dir = work / "csv"
    write_demo_data(csv_dir, scale=scale, seed=1)
    app = create_app(
        data_dir=work / "data",
        elasticsearch_url=url,
        log_level="WARNING",
        answer_cache_mb=0,
        ratelimit_lookups="1000000 per minute",
    )
    with app.app_context():
        import_directory(search_backend(), csv_dir)
        agency = accounts.create_agency(state_store(), "Answer Bench PD")
        key = accounts.create_api_key(state_store(), agency, role="officer", label="bench")[1]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    client.get("/api/v1/plates/ZZ99999?reason=crash", headers=headers)  # the key's cache
    per_label: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with counted_requests() as sent:
        for label, path, params in queries(csv_dir, per_kind):
            before = len(sent)
            started = time.perf_counter()
            response = client.get(path, query_string=params, headers=headers)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{label} {path}: HTTP {response.status_code}")
            figures = per_label[label]
            figures["ms"].append(elapsed * 1000)
            figures["requests"].append(len(sent) - before)
            body = response.get_json(silent=True)
            if body is not None:
                figures["matches"].append(len(body["matches"]))
        trivial = harness.latencies_ms(range(200), lambda _: client.get("/healthz"))
    kinds = {
        label: {
            "answers": len(figures["ms"]),
            "matches_mean": round(statistics.fmean(figures["matches"]), 2)
            if figures["matches"]
            else None,
            "matches_max": max(figures["matches"], default=None),
            "requests_mean": round(statistics.fmean(figures["requests"]), 2),
            "requests_max": max(figures["requests"]),
            "p50_ms": round(statistics.median(figures["ms"]), 2),
            "p99_ms": round(harness.percentile(figures["ms"], 0.99), 2),
        }
        for label, figures in sorted(per_label.items())
    }
    return {
        "kinds": kinds,
        "healthz_p50_ms": round(statistics.median(trivial), 3),
        "healthz_p99_ms": round(harness.percentile(trivial, 0.99), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=["full", "small"], default="small")
    parser.add_argument("--per-kind", type=int, default=60)
    parser.add_argument("--elasticsearch-url", help="a running cluster (else one is started)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dipcheck-es-answer-bench-") as temporary:
        work = Path(temporary)
        with harness.elasticsearch_node(args.elasticsearch_url, work / "es-state") as url:
            results = {
                "scale": args.scale,
                "per_kind": args.per_kind,
                "elasticsearch_version": cluster_version(url),
                **measure(url, work, args.scale, args.per_kind),
                "cpu_count": os.cpu_count(),
                "load_average": os.getloadavg(),
            }
    print(json.dumps(results, indent=2))
    harness.write_json(results, args.json)


if __name__ == "__main__":
    main()
