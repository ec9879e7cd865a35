"""What the HTTP benchmarks share: a fresh demo data set, the real app served on a loopback port
beside a trivial endpoint, sequential latencies (p50/p99) and throughput under concurrent clients.

The app is served as production serves it, by gunicorn with sync workers (`gunicorn_server`):
each worker builds its own app from the data directory and `DIPCHECK_*` settings, so whatever a
benchmark creates before serving (accounts, enrolled phones, QR keys) must live in that directory.
There the trivial endpoint is the app's own `GET /healthz`. `--server threaded` serves the
benchmark's in-process app on Werkzeug's threaded development server instead, with a trivial
route added to it, as the earlier figures in bench/README.md were measured.

The benchmarks are scripts; they import this module as `bench.harness` when run with
`python -m bench.<name>` and as `harness` when run as `python bench/<name>.py`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar, cast

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from lookup import create_app
from lookup.config import ENV_PREFIX, setting_names
from search_index.demo_data import SCALES, Scale, write_demo_data

REPO = Path(__file__).resolve().parent.parent
TRIVIAL_PATH = "/bench/trivial"
HEALTHZ = "/healthz"

T = TypeVar("T")


class Connection(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=Connection)


class Served(NamedTuple):
    """The running server: its loopback port, the trivial route beside the measured ones, and one
    line saying which server it is."""

    port: int
    trivial_path: str
    description: str


def write_json(results: Mapping[str, Any], path: Path | None) -> None:
    """The figures of a run as JSON at `path` (its folder made), when one is given."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")


@contextmanager
def elasticsearch_node(url: str | None, state: Path) -> Iterator[str]:
    """`url` when one is given (a running cluster, left as it is), else the URL of a single
    local node started with scripts/elasticsearch.sh (heap from ES_HEAP, 1g unless set) with its
    files in `state`, and stopped when the block ends."""
    if url is not None:
        yield url
        return
    script = str(REPO / "scripts" / "elasticsearch.sh")
    env = {**os.environ, "ES_HEAP": os.environ.get("ES_HEAP", "1g")}
    started = subprocess.run(
        [script, "start", "--state", str(state)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([script, "stop", "--state", str(state)], check=False)


def arguments(doc: str | None, *, requests: int) -> argparse.ArgumentParser:
    """The options every HTTP benchmark takes; a benchmark may add its own."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument("--requests", type=int, default=requests)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--server",
        choices=["gunicorn", "threaded"],
        default="gunicorn",
        help="gunicorn sync workers (as in production) or Werkzeug's threaded development server",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    return parser


def demo_data(scale: str, name: str) -> tuple[Path, dict[str, int]]:
    """A fresh work directory holding the synthetic data set's CSV files in `csv/`, and the
    row counts."""
    work = Path(tempfile.mkdtemp(prefix=f"dipcheck-{name}-bench-"))
    return work, write_demo_data(work / "csv", scale=cast(Scale, scale), seed=7)


def bench_app(settings: Mapping[str, object]) -> Flask:
    """The benchmark's in-process app. `settings` are Settings fields (`data_dir`, `public_url`
    ...), so that `serving` can hand the very same ones to gunicorn's workers as `DIPCHECK_*`."""
    unknown = set(settings) - setting_names()
    if unknown:
        raise ValueError(f"not DIPCHECK settings: {sorted(unknown)}")
    overrides: dict[str, Any] = dict(settings)
    return create_app(None, **overrides)


def environment(settings: Mapping[str, object]) -> dict[str, str]:
    """`settings` as the `DIPCHECK_*` variables a worker's `create_app()` reads."""
    return {f"{ENV_PREFIX}{name.upper()}": str(value) for name, value in settings.items()}


@contextmanager
def serving(
    args: argparse.Namespace, app: Flask, settings: Mapping[str, object]
) -> Iterator[Served]:
    """The server chosen by `--server`: gunicorn workers built from `settings` (the ones `app`
    was built with by `bench_app`), or `app` itself on the threaded development server."""
    if args.server == "threaded":
        trivial_path = add_trivial_endpoint(app)
        with threaded_server(app) as port:
            yield Served(
                port,
                trivial_path,
                f"Werkzeug threaded development server, HTTP/1.1 keep-alive; "
                f"trivial endpoint GET {TRIVIAL_PATH} added to the same app",
            )
        return
    data_dir = Path(str(settings["data_dir"]))
    with gunicorn_server(environment(settings), workers=args.workers, work=data_dir) as port:
        yield Served(
            port,
            HEALTHZ,
            f"gunicorn, {args.workers} sync workers (a new connection per request: sync workers "
            f"do not keep connections alive); trivial endpoint GET {HEALTHZ} of the same app",
        )


def add_trivial_endpoint(app: Flask) -> str:
    """The baseline route, served by the same app, process and server as the measured ones."""
    app.add_url_rule(TRIVIAL_PATH, "bench_trivial", lambda: "ok")
    return TRIVIAL_PATH


@contextmanager
def threaded_server(app: Flask) -> Iterator[int]:
    """`app` on Werkzeug's threaded server at a free loopback port (yielded), with HTTP/1.1
    keep-alive like a real client."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not one access line per request
    WSGIRequestHandler.protocol_version = "HTTP/1.1"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.socket.getsockname()[1]
    finally:
        server.shutdown()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def gunicorn_server(
    env: Mapping[str, str],
    *,
    workers: int,
    work: Path,
    worker_class: str = "sync",
    threads: int = 1,
) -> Iterator[int]:
    """`gunicorn lookup:create_app()` with `workers` workers (sync unless `worker_class` says)
    on a free loopback port (yielded once `/readyz` answers 200), each worker building its app
    from `env` (which names DIPCHECK_DATA_DIR). Its settings file and log (`server.log`) go
    into `work`; the server is stopped (SIGTERM, then waited for) when the block ends."""
    # Our own settings file, so the repository's production gunicorn.conf.py (worker recycling)
    # does not restart workers in the middle of a measurement.
    config = work / "gunicorn.bench.py"
    config.write_text("accesslog = None\nmax_requests = 0\n", encoding="utf-8")
    log_file = work / "server.log"
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--config",
        str(config),
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(REPO),
        "lookup:create_app()",
    ]
    with log_file.open("ab") as log:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=log, stderr=log)
    try:
        _wait_ready(process, f"http://127.0.0.1:{port}/readyz", log_file)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _wait_ready(process: subprocess.Popen[bytes], url: str, log_file: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not become ready; see {log_file}")


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def percentile(samples: Iterable[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def latency_summary(latencies_ms: list[float]) -> str:
    return (
        f"p50 {statistics.median(latencies_ms):6.2f} ms  "
        f"p99 {percentile(latencies_ms, 0.99):6.2f} ms"
    )


def latencies_ms(items: Iterable[T], call: Callable[[T], object]) -> list[float]:
    """Milliseconds each `call(item)` took, one after another. The next item is produced before
    its clock starts, so a benchmark can build (and sign) requests in a generator."""
    latencies = []
    for item in items:
        started = time.perf_counter()
        call(item)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def throughput(
    clients: int,
    seconds: float,
    connect: Callable[[], C],
    send: Callable[[C, random.Random], object],
) -> float:
    """Requests per second with `clients` threads, each on its own connection, each sending
    requests (`send` picks one with the client's seeded random source) for `seconds`."""
    done = [0] * clients
    deadline = time.perf_counter() + seconds

    def worker(slot: int) -> None:
        connection = connect()
        rng = random.Random(slot)
        while time.perf_counter() < deadline:
            send(connection, rng)
            done[slot] += 1
        connection.close()

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started)


# An HTTP request a benchmark sends: method, path ("" for the trivial endpoint), body, headers.
Request = tuple[str, str, bytes, dict[str, str]]


def send(connection: http.client.HTTPConnection, request: Request, expect: int) -> None:
    """Send `request` and read its answer; stop the benchmark on any other status."""
    method, path, body, headers = request
    connection.request(method, path, body=body or None, headers=headers)
    response = connection.getresponse()
    payload = response.read()
    if response.status != expect:
        raise SystemExit(f"{method} {path}: {response.status} {payload[:300]!r}")


def http_case(
    port: int,
    trivial_path: str,
    make: Callable[[int], Request],
    *,
    expect: int,
    warmup: int,
    requests: int,
    clients: int,
    seconds: float,
    timeout: float,
) -> tuple[list[float], float]:
    """One kind of request (`make(index)`; an empty path is the trivial endpoint): sequential
    latencies in ms on one connection after `warmup` requests, then requests per second with
    `clients` connections."""

    def built(index: int) -> Request:
        method, path, body, headers = make(index)
        return method, path or trivial_path, body, headers

    def connect() -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    connection = connect()
    for index in range(warmup):
        send(connection, built(index), expect)
    latencies = latencies_ms(
        (built(index) for index in range(requests)),
        lambda request: send(connection, request, expect),
    )
    connection.close()
    rate = throughput(
        clients,
        seconds,
        connect,
        lambda conn, rng: send(conn, built(rng.randrange(10**6)), expect),
    )
    return latencies, rate


def per_call_us(function: Callable[[], object], count: int) -> float:
    """Mean microseconds of one call, over `count` calls in a row."""
    started = time.perf_counter()
    for _ in range(count):
        function()
    return (time.perf_counter() - started) / count * 1e6
