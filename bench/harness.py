"""What the HTTP benchmarks share: a fresh demo data set, the real app served on a loopback port
beside a trivial endpoint, sequential latencies (p50/p99) and throughput under concurrent
keep-alive clients.

The benchmarks are scripts; they import this module as `bench.harness` when run with
`python -m bench.<name>` and as `harness` when run as `python bench/<name>.py`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, TypeVar

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from search_index.demo_data import write_demo_data

TRIVIAL_PATH = "/bench/trivial"

T = TypeVar("T")


class Connection(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=Connection)


def arguments(doc: str | None, *, requests: int) -> argparse.ArgumentParser:
    """The options every HTTP benchmark takes; a benchmark may add its own."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--scale", choices=["small", "full"], default="small")
    parser.add_argument("--requests", type=int, default=requests)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    return parser


def demo_data(scale: str, name: str) -> tuple[Path, dict[str, int]]:
    """A fresh work directory holding the synthetic data set's CSV files in `csv/`, and the
    row counts."""
    work = Path(tempfile.mkdtemp(prefix=f"dipcheck-{name}-bench-"))
    return work, write_demo_data(work / "csv", scale=scale, seed=7)


def add_trivial_endpoint(app: Flask) -> str:
    """The baseline route, served by the same app, process and server as the measured ones."""
    app.add_url_rule(TRIVIAL_PATH, "bench_trivial", lambda: "ok")
    return TRIVIAL_PATH


@contextmanager
def serving(app: Flask) -> Iterator[int]:
    """`app` on Werkzeug's threaded server at a free loopback port (yielded), with HTTP/1.1
    keep-alive like a real client."""
    WSGIRequestHandler.protocol_version = "HTTP/1.1"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.socket.getsockname()[1]
    finally:
        server.shutdown()


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


def per_call_us(function: Callable[[], object], count: int) -> float:
    """Mean microseconds of one call, over `count` calls in a row."""
    started = time.perf_counter()
    for _ in range(count):
        function()
    return (time.perf_counter() - started) / count * 1e6
