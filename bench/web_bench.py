"""Officer web benchmark: the server-rendered answer page beside a trivial endpoint.

    python bench/web_bench.py [--scale small|full] [--requests 1000] [--clients 4] [--seconds 10]

It generates the synthetic data set at the chosen scale, imports it into a fresh SQLite data
directory, creates an agency and an officer, and serves the real app on a local port (Werkzeug's
threaded server) with one extra trivial route, `/bench/trivial`, measured in the same process and
the same run. The benchmark signs in over HTTP like a browser (notice, password, TOTP code), then
POSTs exact-plate lookups from a random sample of the data set's plates: each one checks the
session and the CSRF token, runs the lookup, writes its audit record and renders the action card.
Reports p50/p99 latency of sequential requests, throughput with several concurrent keep-alive
clients (all on the one session, as one busy officer would be), and the answer page's size.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import random
import re
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pyotp
from werkzeug.serving import WSGIRequestHandler, make_server

from lookup import accounts, create_app
from lookup.extensions import search_backend
from search_index.demo_data import write_demo_data
from search_index.importer import load_directory

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """One keep-alive connection that keeps cookies, like a phone's browser tab."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies = dict(cookies or {})

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> str:
        headers = {"Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.status not in (200, 303):
            raise SystemExit(f"unexpected status {response.status} for {method} {path}")
        return text

    def close(self) -> None:
        self.connection.close()


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _sign_in(port: int, username: str, password: str, secret: str) -> tuple[dict[str, str], str]:
    """The session cookies and the CSRF token of a signed-in officer."""
    browser = Browser(port)
    page = browser.request("GET", "/login")
    browser.request(
        "POST",
        "/login",
        {
            "csrf_token": _token(page),
            "acknowledge": "yes",
            "username": username,
            "password": password,
            "code": pyotp.TOTP(secret).at(datetime.now(UTC)),
        },
    )
    token = _token(browser.request("GET", "/lookup"))
    browser.close()
    return browser.cookies, token


def _token(html: str) -> str:
    found = _CSRF.search(html)
    if found is None:
        raise SystemExit("no CSRF token on the page: did sign-in fail?")
    return found.group(1)


def _lookup_form(token: str, plate: str) -> dict[str, str]:
    return {"csrf_token": token, "q": plate, "kind": "plate", "reason": "traffic_stop"}


def _sequential(
    port: int, cookies: dict[str, str], requests: list[tuple[str, dict[str, str] | None]]
) -> tuple[list[float], int]:
    """Latencies (ms) over one keep-alive connection, and the last page's size in bytes."""
    browser = Browser(port, cookies)
    latencies = []
    size = 0
    for path, form in requests:
        started = time.perf_counter()
        page = browser.request("POST" if form else "GET", path, form)
        latencies.append((time.perf_counter() - started) * 1000)
        size = len(page.encode("utf-8"))
    browser.close()
    return latencies, size


def _throughput(
    port: int,
    cookies: dict[str, str],
    requests: list[tuple[str, dict[str, str] | None]],
    clients: int,
    seconds: float,
) -> float:
    done = [0] * clients
    deadline = time.perf_counter() + seconds

    def worker(slot: int) -> None:
        browser = Browser(port, cookies)
        rng = random.Random(slot)
        while time.perf_counter() < deadline:
            path, form = rng.choice(requests)
            browser.request("POST" if form else "GET", path, form)
            done[slot] += 1
        browser.close()

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started)


def _plates(csv_dir: Path, count: int) -> list[str]:
    with (csv_dir / "vehicles.csv").open(encoding="utf-8") as handle:
        plates = [row["plate"] for row in csv.DictReader(handle)]
    return random.Random(11).sample(plates, min(count, len(plates)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["small", "full"], default="small")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dipcheck-web-bench-"))
    counts = write_demo_data(work / "csv", scale=args.scale, seed=7)
    app = create_app(
        data_dir=work / "data",
        log_level="WARNING",
        # A limit the benchmark never reaches, so the limiter still runs on every lookup.
        ratelimit_lookups="100000000/minute",
    )
    app.add_url_rule("/bench/trivial", "bench_trivial", lambda: "ok")
    with app.app_context():
        search_backend().publish(load_directory(work / "csv"))
        password = accounts.generate_password()
        agency = accounts.create_agency("Bench Police")
        officer = accounts.create_officer(
            agency, username="bench", display_name="Bench", password=password
        )
        # As after the officer's first sign-in, so the benchmark needs no enrolment step.
        accounts.update_officer(officer, {"totp_enrolled_at": datetime.now(UTC).isoformat()})

    WSGIRequestHandler.protocol_version = "HTTP/1.1"  # keep-alive, like a real browser
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.socket.getsockname()[1]

    cookies, token = _sign_in(port, "bench", password, officer.totp_secret)
    plates = _plates(work / "csv", 500)
    lookups: list[tuple[str, dict[str, str] | None]] = [
        ("/lookup", _lookup_form(token, plate)) for plate in plates
    ]
    trivial: list[tuple[str, dict[str, str] | None]] = [("/bench/trivial", None)]

    print(f"data: {args.scale} scale {counts}; {len(plates)} distinct plates looked up")
    _sequential(port, cookies, (trivial + lookups) * 2)  # warm up both routes
    for name, requests in (("trivial endpoint", trivial), ("POST /lookup (plate)", lookups)):
        cycle = [requests[i % len(requests)] for i in range(args.requests)]
        latencies, size = _sequential(port, cookies, cycle)
        rate = _throughput(port, cookies, requests, args.clients, args.seconds)
        print(
            f"{name:<22} p50 {statistics.median(latencies):6.2f} ms  "
            f"p99 {_percentile(latencies, 0.99):6.2f} ms  "
            f"{rate:7.0f} req/s with {args.clients} clients  page {size / 1024:5.1f} KB"
        )
    server.shutdown()


if __name__ == "__main__":
    main()
