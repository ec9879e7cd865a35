"""Officer web benchmark: the server-rendered answer page beside a trivial endpoint.

    python bench/web_bench.py [--scale small|full] [--requests 1000] [--clients 4] [--seconds 10]
                              [--server gunicorn|threaded] [--workers 2]

It generates the synthetic data set at the chosen scale, imports it into a fresh SQLite data
directory, creates an agency and an officer (in the data directory's state store), and serves the
real app on a local port: by default with gunicorn (2 sync workers, each building the app from the
data directory, as in production), where the trivial endpoint measured in the same run is the
app's `GET /healthz`; with `--server threaded`, Werkzeug's threaded server with a trivial route
`/bench/trivial` added to the app. The benchmark signs in over HTTP like a browser (notice,
password, TOTP code), then POSTs exact-plate lookups from a random sample of the data set's
plates and follows each 303 to the answer page, as a browser does: the POST checks the session
and the CSRF token, runs the lookup, writes its audit record, renders the action card and keeps
it for the session; the GET shows the kept answer. A second row measures the GET alone (a reload
or Back on an answer, which looks nothing up). Reports p50/p99 latency of sequential requests,
throughput with several concurrent clients (all on the one session, as one busy officer would
be), and the answer page's size."""

from __future__ import annotations

import csv
import http.client
import random
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pyotp

from lookup.extensions import search_backend, state_store
from lookup.identity import accounts
from search_index.importer import load_directory

try:
    from bench import harness
except ModuleNotFoundError:  # run as `python bench/web_bench.py`: bench/ itself is on the path
    import harness  # type: ignore[no-redef]

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """One client connection (kept alive where the server allows) that keeps cookies, like a
    phone's browser tab."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies = dict(cookies or {})
        self.last_answer: str | None = None

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
        location = response.headers.get("Location")
        if response.status == 303 and location and location.startswith("/lookup/answers/"):
            self.last_answer = location
            return self.request("GET", location)  # a lookup's answer page, as a browser follows
        return text

    def close(self) -> None:
        self.connection.close()


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


def _send(browser: Browser, request: tuple[str, dict[str, str] | None]) -> str:
    path, form = request
    return browser.request("POST" if form else "GET", path, form)


def _sequential(
    port: int, cookies: dict[str, str], requests: list[tuple[str, dict[str, str] | None]]
) -> tuple[list[float], int]:
    """Latencies (ms) over one client connection, and the last page's size in bytes."""
    browser = Browser(port, cookies)
    sizes = [0]

    def send(request: tuple[str, dict[str, str] | None]) -> None:
        sizes[0] = len(_send(browser, request).encode("utf-8"))

    latencies = harness.latencies_ms(requests, send)
    browser.close()
    return latencies, sizes[0]


def _answer_path(
    port: int, cookies: dict[str, str], lookup: tuple[str, dict[str, str] | None]
) -> str:
    """The answer page one lookup redirects to, for the reload row."""
    browser = Browser(port, cookies)
    _send(browser, lookup)
    browser.close()
    if browser.last_answer is None:
        raise SystemExit("the lookup did not redirect to an answer page")
    return browser.last_answer


def _throughput(
    port: int,
    cookies: dict[str, str],
    requests: list[tuple[str, dict[str, str] | None]],
    clients: int,
    seconds: float,
) -> float:
    return harness.throughput(
        clients,
        seconds,
        lambda: Browser(port, cookies),
        lambda browser, rng: _send(browser, rng.choice(requests)),
    )


def _plates(csv_dir: Path, count: int) -> list[str]:
    with (csv_dir / "vehicles.csv").open(encoding="utf-8") as handle:
        plates = [row["plate"] for row in csv.DictReader(handle)]
    return random.Random(11).sample(plates, min(count, len(plates)))


def main() -> None:
    args = harness.arguments(__doc__, requests=1000).parse_args()

    work, counts = harness.demo_data(args.scale, "web")
    settings = {
        "data_dir": work / "data",
        "log_level": "WARNING",
        # A limit the benchmark never reaches, so the limiter still runs on every lookup.
        "ratelimit_lookups": "100000000/minute",
    }
    app = harness.bench_app(settings)
    with app.app_context():
        search_backend().publish(load_directory(work / "csv"))
        password = accounts.generate_password()
        agency = accounts.create_agency(state_store(), "Bench Police")
        officer = accounts.create_officer(
            state_store(), agency, username="bench", display_name="Bench", password=password
        )
        # As after the officer's first sign-in, so the benchmark needs no enrolment step.
        accounts.update_officer(
            state_store(), officer, {"totp_enrolled_at": datetime.now(UTC).isoformat()}
        )

    plates = _plates(work / "csv", 500)
    print(f"data: {args.scale} scale {counts}; {len(plates)} distinct plates looked up")
    with harness.serving(args, app, settings) as (port, trivial_path, server):
        print(f"server: {server}")
        trivial: list[tuple[str, dict[str, str] | None]] = [(trivial_path, None)]
        cookies, token = _sign_in(port, "bench", password, officer.totp_secret)
        lookups: list[tuple[str, dict[str, str] | None]] = [
            ("/lookup", _lookup_form(token, plate)) for plate in plates
        ]
        _sequential(port, cookies, (trivial + lookups) * 2)  # warm up both routes
        answer = _answer_path(port, cookies, lookups[0])
        reloads: list[tuple[str, dict[str, str] | None]] = [(answer, None)]
        # The reload row before the lookups: each session keeps only its latest answers.
        for name, requests in (
            ("trivial endpoint", trivial),
            ("GET answer (reload)", reloads),
            ("POST /lookup + GET", lookups),
        ):
            cycle = [requests[i % len(requests)] for i in range(args.requests)]
            latencies, size = _sequential(port, cookies, cycle)
            rate = _throughput(port, cookies, requests, args.clients, args.seconds)
            print(
                f"{name:<22} {harness.latency_summary(latencies)}  "
                f"{rate:7.0f} req/s with {args.clients} clients  page {size / 1024:5.1f} KB"
            )
    print(harness.load_average())


if __name__ == "__main__":
    main()
