"""SMS webhook benchmark: POST /sms/twilio beside a trivial endpoint, in the same run.

    python bench/sms_bench.py [--scale small|full] [--requests 2000] [--clients 4] [--seconds 10]
                              [--server gunicorn|threaded] [--workers 2]

It generates the synthetic data set at the chosen scale, imports it into a fresh SQLite data
directory, creates an agency and an officer with an enrolled phone (in the data directory's state
store), and serves the real app on a local port: by default with gunicorn (2 sync workers, each
building the app from the data directory and the same settings, as in production), beside the
app's `GET /healthz` as the trivial endpoint; with `--server threaded`, Werkzeug's threaded server
with a trivial route `/bench/trivial` added to the app. Every webhook request is a genuine
Twilio-style form post, signed with the twilio library over the public URL, from the enrolled
phone, asking for an exact plate drawn from the data set, with a fresh MessageSid; so each one
validates the signature, claims the MessageSid, checks the enrolment and the rate limits, runs the
lookup, writes its audit record and renders the one-segment reply, as in production. Reports
p50/p99 latency of sequential requests and throughput with several concurrent clients, for the
webhook and the trivial endpoint; the same latencies in process through Flask's test client; and
the time of the signature check, the command parser and the reply renderer alone.
"""

from __future__ import annotations

import csv
import http.client
import itertools
import random
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from lookup.answers.text.replies import PersonFacts, PlateFacts, VehicleFacts, plate_reply
from lookup.extensions import search_backend, state_store
from lookup.identity import accounts, phones
from lookup.sms.commands import parse
from search_index.importer import load_directory

try:
    from bench import harness
except ModuleNotFoundError:  # run as `python bench/sms_bench.py`: bench/ itself is on the path
    import harness  # type: ignore[no-redef]

PUBLIC_URL = "https://dipcheck.example.gov"
WEBHOOK = "/sms/twilio"
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"  # noqa: S105 - a throwaway test token
PHONE = "+15715550100"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

_sids = itertools.count(1)
_sid_lock = threading.Lock()
_validator = RequestValidator(AUTH_TOKEN)


def _signed_message(plate: str) -> tuple[str, bytes, dict[str, str]]:
    with _sid_lock:
        sid = f"SM{next(_sids):032x}"
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": PHONE,
        "To": "+12025550188",
        "Body": f"P {plate}",
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }
    signature = _validator.compute_signature(PUBLIC_URL + WEBHOOK, params)
    return WEBHOOK, urlencode(params).encode(), {**FORM, "X-Twilio-Signature": signature}


def _trivial_request(path: str, _plate: str) -> tuple[str, bytes, dict[str, str]]:
    return path, b"", {}


Request = Callable[[str], tuple[str, bytes, dict[str, str]]]


def _send(connection: http.client.HTTPConnection, request: Request, plate: str) -> None:
    _send_built(connection, request(plate))


def _send_built(
    connection: http.client.HTTPConnection, built: tuple[str, bytes, dict[str, str]]
) -> None:
    path, body, headers = built
    if body:
        connection.request("POST", path, body=body, headers=headers)
    else:
        connection.request("GET", path)
    response = connection.getresponse()
    payload = response.read()
    if response.status != 200 or (body and b"<Message>" not in payload):
        raise SystemExit(f"unexpected answer {response.status}: {payload[:200]!r}")


def _connect(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def _sequential(port: int, request: Request, plates: list[str], count: int) -> list[float]:
    """Latencies (ms) of `count` requests over one client connection; the request is built
    and signed before its clock starts."""
    connection = _connect(port)
    latencies = harness.latencies_ms(
        (request(plates[index % len(plates)]) for index in range(count)),
        lambda built: _send_built(connection, built),
    )
    connection.close()
    return latencies


def _throughput(
    port: int, request: Request, plates: list[str], clients: int, seconds: float
) -> float:
    """Requests per second with `clients` concurrent connections (each client signs
    its next request itself, about 20 µs, as a Twilio edge would)."""
    return harness.throughput(
        clients,
        seconds,
        lambda: _connect(port),
        lambda connection, rng: _send(connection, request, rng.choice(plates)),
    )


def _plates(csv_dir: Path, limit: int) -> list[str]:
    with (csv_dir / "vehicles.csv").open(encoding="utf-8") as handle:
        plates = [row["plate"] for row in csv.DictReader(handle)]
    random.Random(3).shuffle(plates)
    return plates[:limit]


def main() -> None:
    args = harness.arguments(__doc__, requests=2000).parse_args()

    work, counts = harness.demo_data(args.scale, "sms")
    settings = {
        "data_dir": work / "data",
        "public_url": PUBLIC_URL,
        "twilio_auth_token": AUTH_TOKEN,
        "log_level": "WARNING",
        "sms_ratelimit_phone": "100000000/minute",
        "sms_ratelimit_all": "100000000/minute",
    }
    app = harness.bench_app(settings)
    with app.app_context():
        search_backend().publish(load_directory(work / "csv"))
        agency = accounts.create_agency(state_store(), "Bench Police")
        officer = accounts.create_officer(
            state_store(),
            agency,
            username="bench",
            display_name="Bench",
            password=accounts.generate_password(),
        )
        hashed = phones.phone_hash(app.secret_key or "", PHONE)
        phones.enrol(state_store(), hashed, officer_id=officer.id, agency_id=agency.id)
    plates = _plates(work / "csv", 500)

    print(f"data: {args.scale} scale {counts}; {len(plates)} distinct plates")
    with harness.serving(args, app, settings) as (port, trivial_path, server):
        print(f"server: {server}")
        trivial = partial(_trivial_request, trivial_path)
        _sequential(port, trivial, plates, 200)  # warm up both routes
        _sequential(port, _signed_message, plates, 200)
        for name, request in (
            ("trivial endpoint", trivial),
            ("POST /sms/twilio (plate)", _signed_message),
        ):
            latencies = _sequential(port, request, plates, args.requests)
            rate = _throughput(port, request, plates, args.clients, args.seconds)
            print(
                f"{name:<26} {harness.latency_summary(latencies)}  "
                f"{rate:7.0f} req/s with {args.clients} clients"
            )
    print(harness.load_average())

    # The same requests in process through Flask's test client: the app's own cost, without a
    # server or the network.
    client = app.test_client()

    def through_client(built: tuple[str, bytes, dict[str, str]]) -> None:
        path, body, headers = built
        response = client.post(path, data=body, headers=headers) if body else client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"unexpected status {response.status_code}")

    for name, request in (
        ("trivial, test client", trivial),
        ("webhook, test client", _signed_message),
    ):
        latencies = harness.latencies_ms(
            (request(plates[index % len(plates)]) for index in range(args.requests)),
            through_client,
        )
        print(f"{name:<26} {harness.latency_summary(latencies)}")

    params = {"Body": "P DVL1234", "From": PHONE, "MessageSid": "SM" + "0" * 32}
    signature = _validator.compute_signature(PUBLIC_URL + WEBHOOK, params)
    check = harness.per_call_us(
        lambda: _validator.validate(PUBLIC_URL + WEBHOOK, params, signature), 20000
    )
    person = PersonFacts("Ostrander", "Mirela", "full", "no", "no", "valid")
    facts = PlateFacts(VehicleFacts("DVL1234", "exact", "active", "active"), person)
    render = harness.per_call_us(
        lambda: plate_reply(facts, "DC-ABCDE-FGHJK", "(571) 345-3146"), 20000
    )
    print(f"signature check alone      {check:6.1f} µs")
    parser_us = harness.per_call_us(lambda: parse(" p: dvl-1234 crash"), 20000)
    print(f"command parser alone       {parser_us:6.1f} µs")
    print(f"reply renderer alone       {render:6.1f} µs")


if __name__ == "__main__":
    main()
