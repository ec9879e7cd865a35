"""OFM workspace benchmark: the insurance-compliance aggregate and each export on the SQLite
backend, beside the trivial endpoint in the same run.

    python bench/ofm_bench.py [--scale small|full] [--requests 100] [--clients 2]
                              [--seconds 10] [--server gunicorn|threaded]

It generates the synthetic data set (full: 2,600 missions, 124,000 persons, 12,000 vehicles),
imports it into a fresh SQLite data directory, creates an OFM agency with an analyst key, seeds
1,000 incident reports through the API (so the incident exports have rows to write), and serves
the real app (by default gunicorn, 2 sync workers; `GET /healthz` as the trivial endpoint). It
then measures p50/p99 of sequential requests, whole answers read, and throughput with concurrent
clients of:

1. `GET /healthz`;
2. `GET /api/v1/ofm/insurance-compliance` (JSON) and `?format=csv`;
3. `GET /api/v1/ofm/insurance-compliance/{mission_id}` for the missions with most vehicles;
4. `GET /api/v1/ofm/flags`;
5. `GET /api/v1/ofm/exports/{name}` for each of the six exports.

Every request is audited, so the audit table grows during the run. The machine is shared:
figures are noisy.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import harness  # noqa: E402
from lookup.extensions import search_backend, state_store  # noqa: E402
from lookup.identity import accounts  # noqa: E402
from lookup.ofm.exports import EXPORTS  # noqa: E402
from search_index.importer import load_directory  # noqa: E402

INCIDENTS = 1000


def _busiest_missions(csv_dir: Path) -> list[str]:
    with (csv_dir / "persons.csv").open(encoding="utf-8") as handle:
        mission_of = {row["person_id"]: row["mission_id"] for row in csv.DictReader(handle)}
    with (csv_dir / "vehicles.csv").open(encoding="utf-8") as handle:
        fleets = Counter(
            row["owner_mission_id"] or mission_of[row["owner_person_id"]]
            for row in csv.DictReader(handle)
        )
    return [mission for mission, _ in fleets.most_common(20)]


def _licences(csv_dir: Path) -> list[str]:
    with (csv_dir / "licenses.csv").open(encoding="utf-8") as handle:
        return [row["license_number"] for row in csv.DictReader(handle)][:INCIDENTS]


def main() -> None:
    parser = harness.arguments(__doc__, requests=100)
    args = parser.parse_args()

    work, counts = harness.demo_data(args.scale, "ofm")
    settings = {
        "data_dir": work / "data",
        "log_level": "WARNING",
        "ratelimit_lookups": "100000000/minute",
    }
    # One app seeds (its test client files the reports), a fresh one serves the measurements.
    seeding = harness.bench_app(settings)
    with seeding.app_context():
        search_backend().publish(load_directory(work / "csv"))
        police = accounts.create_agency(state_store(), "Bench Police")
        _key, police_key = accounts.create_api_key(state_store(), police)
        ofm = accounts.create_agency(state_store(), "Bench OFM", kind="ofm")
        _key, analyst_key = accounts.create_api_key(state_store(), ofm, role="analyst")
    analyst = {"Authorization": f"Bearer {analyst_key}"}
    missions = _busiest_missions(work / "csv")
    occurred = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    client = seeding.test_client()
    for number, licence in enumerate(_licences(work / "csv")):
        body = {
            "occurred_at": occurred,
            "kind": "moving_violation",
            "subject": {"license_number": licence},
            "location": {"latitude": 38.9 + number / 10_000, "longitude": -77.03},
            "reporting_officer": {"name": "Officer Bench"},
        }
        answer = client.post(
            "/api/v1/incidents", json=body, headers={"Authorization": f"Bearer {police_key}"}
        )
        if answer.status_code != 201:
            raise SystemExit(f"seeding a report: {answer.status_code} {answer.get_data()[:200]!r}")

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
    print(f"data: {args.scale} scale {counts}; {INCIDENTS} incident reports filed")
    with harness.serving(args, app, settings) as (port, trivial_path, server):
        print(f"server: {server}")

        for name, make in cases:
            latencies, rate = harness.http_case(
                port,
                trivial_path,
                make,
                expect=200,
                warmup=5,
                requests=args.requests,
                clients=args.clients,
                seconds=args.seconds,
                timeout=120,
            )
            print(
                f"{name:<32} {harness.latency_summary(latencies)}  "
                f"{rate:7.1f} req/s with {args.clients} clients"
            )
    print(harness.load_average())
    print(json.dumps({"scale": args.scale, "counts": counts}))


if __name__ == "__main__":
    main()
