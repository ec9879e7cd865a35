"""QR verification benchmark: the /v/<token> page beside a trivial endpoint, and token checks alone.

    python bench/qr_bench.py [--scale small|full] [--requests 2000] [--clients 4] [--seconds 10]

It generates the synthetic data set at the chosen scale, imports it into a fresh SQLite data
directory, creates a QR signing key, and serves the real app on a local port (Werkzeug's threaded
server) with one extra trivial route, `/bench/trivial`, so both are measured in the same process,
on the same server, in the same run. Each valid scan verifies the signature, reads the live record
and writes its audit record, as in production. Reports p50/p99 latency of sequential requests,
throughput with several concurrent keep-alive clients, and the time of `verify()` and `sign()`
alone.
"""

from __future__ import annotations

import argparse
import http.client
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

from lookup import create_app
from lookup.extensions import search_backend
from lookup.qr.documents import NotIssuable, issue
from lookup.qr.tokens import Claims, sign, verify
from lookup.qr.views import keystore
from search_index.demo_data import write_demo_data
from search_index.importer import load_directory


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _sequential(port: int, paths: list[str], count: int) -> list[float]:
    """Latencies (ms) of `count` requests over one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    for index in range(count):
        started = time.perf_counter()
        connection.request("GET", paths[index % len(paths)], headers={"Accept": "text/html"})
        response = connection.getresponse()
        response.read()
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise SystemExit(f"unexpected status {response.status} for a benchmark request")
    connection.close()
    return latencies


def _throughput(port: int, paths: list[str], clients: int, seconds: float) -> float:
    """Requests per second with `clients` concurrent keep-alive connections."""
    done = [0] * clients
    deadline = time.perf_counter() + seconds

    def worker(slot: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        rng = random.Random(slot)
        while time.perf_counter() < deadline:
            connection.request("GET", rng.choice(paths), headers={"Accept": "text/html"})
            connection.getresponse().read()
            done[slot] += 1
        connection.close()

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started)


def _per_call_us(function: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        function()
    return (time.perf_counter() - started) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["small", "full"], default="small")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--tokens", type=int, default=200, help="distinct documents scanned")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dipcheck-qr-bench-"))
    counts = write_demo_data(work / "csv", scale=args.scale, seed=7)
    app = create_app(
        data_dir=work / "data",
        public_url="https://dipcheck.example.gov",
        log_level="WARNING",
        QR_RATELIMIT="100000000/minute",
    )
    app.add_url_rule("/bench/trivial", "bench_trivial", lambda: "ok")
    with app.app_context():
        search_backend().publish(load_directory(work / "csv"))
        keystore().create()
        signer = keystore().signer()
        tokens: list[str] = []
        with search_backend().snapshot() as snapshot:
            for person in _credential_holders(work / "csv"):
                try:
                    tokens.append(issue(snapshot, "credential", person, signer).token)
                except NotIssuable:
                    continue  # revoked, expired or not accredited: not a valid scan
                if len(tokens) >= args.tokens:
                    break
    if not tokens:
        raise SystemExit("the demo data set has no valid credential to sign")

    WSGIRequestHandler.protocol_version = "HTTP/1.1"  # keep-alive, like a real client
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.socket.getsockname()[1]
    verify_paths = [f"/v/{token}" for token in tokens]
    trivial = ["/bench/trivial"]

    print(f"data: {args.scale} scale {counts}; {len(tokens)} distinct valid credential codes")
    _sequential(port, trivial + verify_paths, 200)  # warm up both routes
    for name, paths in (("trivial endpoint", trivial), ("GET /v/<token> (valid)", verify_paths)):
        latencies = _sequential(port, paths, args.requests)
        rate = _throughput(port, paths, args.clients, args.seconds)
        print(
            f"{name:<24} p50 {statistics.median(latencies):6.2f} ms  "
            f"p99 {_percentile(latencies, 0.99):6.2f} ms  "
            f"{rate:7.0f} req/s with {args.clients} clients"
        )
    server.shutdown()

    with app.app_context():
        keys = keystore().keyset()
    now = datetime.now(UTC)
    start = int(now.timestamp())
    claims = Claims("credential", "DA123456", start, start + 86400)
    token = sign(claims, signer)
    print(
        f"verify() alone           {_per_call_us(lambda: verify(token, keys, now), 20000):6.1f} µs"
    )
    print(f"sign() alone             {_per_call_us(lambda: sign(claims, signer), 20000):6.1f} µs")


def _credential_holders(csv_dir: Path) -> list[str]:
    import csv

    with (csv_dir / "persons.csv").open(encoding="utf-8") as handle:
        return [
            row["credential_number"]
            for row in csv.DictReader(handle)
            if row.get("credential_number") and row.get("credential_status") == "valid"
        ]


if __name__ == "__main__":
    main()
