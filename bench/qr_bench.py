"""QR verification benchmark: the /v/<token> page beside a trivial endpoint, and token checks alone.

    python bench/qr_bench.py [--scale small|full] [--requests 2000] [--clients 4] [--seconds 10]
                             [--server gunicorn|threaded] [--workers 2] [--tokens 200]

It generates the synthetic data set at the chosen scale, imports it into a fresh SQLite data
directory, creates a QR signing key (in the data directory's key ring), and serves the real app on
a local port: by default with gunicorn (2 sync workers, each building the app from the data
directory, as in production), beside the app's `GET /healthz` as the trivial endpoint of the same
server and run; with `--server threaded`, Werkzeug's threaded server with a trivial route
`/bench/trivial` added to the app. Each valid scan verifies the signature, reads the live record
and writes its audit record, as in production. Reports p50/p99 latency of sequential requests,
throughput with several concurrent clients, and the time of `verify()` and `sign()` alone.
"""

from __future__ import annotations

import csv
import http.client
from datetime import UTC, datetime
from pathlib import Path

from lookup.extensions import search_backend
from lookup.qr.documents import NotIssuable, issue
from lookup.qr.key_ring import keystore
from lookup.qr.tokens import Claims, sign, verify
from search_index.importer import load_directory

try:
    from bench import harness
except ModuleNotFoundError:  # run as `python bench/qr_bench.py`: bench/ itself is on the path
    import harness  # type: ignore[no-redef]


def _connect(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def _get(connection: http.client.HTTPConnection, path: str) -> None:
    connection.request("GET", path, headers={"Accept": "text/html"})
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        raise SystemExit(f"unexpected status {response.status} for a benchmark request")


def _sequential(port: int, paths: list[str], count: int) -> list[float]:
    """Latencies (ms) of `count` requests over one client connection."""
    connection = _connect(port)
    latencies = harness.latencies_ms(
        (paths[index % len(paths)] for index in range(count)),
        lambda path: _get(connection, path),
    )
    connection.close()
    return latencies


def _throughput(port: int, paths: list[str], clients: int, seconds: float) -> float:
    """Requests per second with `clients` concurrent client connections."""
    return harness.throughput(
        clients,
        seconds,
        lambda: _connect(port),
        lambda connection, rng: _get(connection, rng.choice(paths)),
    )


def main() -> None:
    parser = harness.arguments(__doc__, requests=2000)
    parser.add_argument("--tokens", type=int, default=200, help="distinct documents scanned")
    args = parser.parse_args()

    work, counts = harness.demo_data(args.scale, "qr")
    settings = {
        "data_dir": work / "data",
        "public_url": "https://dipcheck.example.gov",
        "log_level": "WARNING",
        "qr_ratelimit": "100000000/minute",
    }
    app = harness.bench_app(settings)
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

    verify_paths = [f"/v/{token}" for token in tokens]
    print(f"data: {args.scale} scale {counts}; {len(tokens)} distinct valid credential codes")
    with harness.serving(args, app, settings) as (port, trivial_path, server):
        print(f"server: {server}")
        trivial = [trivial_path]
        _sequential(port, trivial + verify_paths, 200)  # warm up both routes
        for name, paths in (
            ("trivial endpoint", trivial),
            ("GET /v/<token> (valid)", verify_paths),
        ):
            latencies = _sequential(port, paths, args.requests)
            rate = _throughput(port, paths, args.clients, args.seconds)
            print(
                f"{name:<24} {harness.latency_summary(latencies)}  "
                f"{rate:7.0f} req/s with {args.clients} clients"
            )
    print(harness.load_average())

    with app.app_context():
        keys = keystore().keyset()
    now = datetime.now(UTC)
    start = int(now.timestamp())
    claims = Claims("credential", "DA123456", start, start + 86400)
    token = sign(claims, signer)
    verify_us = harness.per_call_us(lambda: verify(token, keys, now), 20000)
    print(f"verify() alone           {verify_us:6.1f} µs")
    sign_us = harness.per_call_us(lambda: sign(claims, signer), 20000)
    print(f"sign() alone             {sign_us:6.1f} µs")


def _credential_holders(csv_dir: Path) -> list[str]:
    with (csv_dir / "persons.csv").open(encoding="utf-8") as handle:
        return [
            row["credential_number"]
            for row in csv.DictReader(handle)
            if row.get("credential_number") and row.get("credential_status") == "valid"
        ]


if __name__ == "__main__":
    main()
