"""Incident benchmark: filing a report and reading OFM's queue at 100,000 reports, beside the
trivial endpoint in the same run.

    python bench/incidents_bench.py [--scale small|full] [--reports 100000] [--requests 500]
                                    [--clients 4] [--seconds 10] [--server gunicorn|threaded]

It generates the synthetic data set, imports it into a fresh SQLite data directory, creates 50
police agencies with an API key each and an OFM agency with an analyst key, and writes
`--reports` incident reports (default 100,000) straight into the state store's incident table
(in one transaction: seeding is not what is measured) about real persons of the data set, spread
over the agencies, the last two years, the six kinds, 70 % of them assessed. It then serves the
real app (by default gunicorn, 2 sync workers; `GET /healthz` as the trivial endpoint) and
measures, one after the other, p50/p99 of sequential requests and throughput with concurrent
clients of:

1. `GET /healthz`;
2. `POST /api/v1/incidents` by a police key: strict body validation, the subject resolved by
   licence number against the published set and its immunity answered, the audit record, and
   the report committed (SQLite `synchronous=FULL`);
3. `GET /api/v1/incidents` by the analyst: the first page of the whole queue (the analysts' default
   view), its total counted up to 10,000, audited;
4. `GET /api/v1/incidents?status=submitted` by the analyst: the first page of submitted reports;
5. `GET /api/v1/incidents?kind=crash&country=<country>` by the analyst: a filtered queue page.

Reports filed during the run add to the 100,000. The machine is shared: figures are noisy.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import harness  # noqa: E402
from lookup.extensions import search_backend, state_store  # noqa: E402
from lookup.identity import accounts  # noqa: E402
from lookup.store.sqlite.incidents import _COLUMNS, _row  # noqa: E402
from lookup.store.sqlite.store import SQLiteStateStore  # noqa: E402
from search_index.importer import load_directory  # noqa: E402

AGENCIES = 50
KINDS = ("moving_violation", "dui_dwi", "crash", "criminal", "parking", "other")


def _people(csv_dir: Path) -> tuple[list[dict[str, str]], dict[str, dict[str, str]], list[str]]:
    with (csv_dir / "missions.csv").open(encoding="utf-8") as handle:
        missions = {row["mission_id"]: row for row in csv.DictReader(handle)}
    with (csv_dir / "persons.csv").open(encoding="utf-8") as handle:
        persons = list(csv.DictReader(handle))
    with (csv_dir / "licenses.csv").open(encoding="utf-8") as handle:
        licences = [row["license_number"] for row in csv.DictReader(handle)]
    random.Random(5).shuffle(licences)
    return persons, missions, licences


def _report(
    number: int,
    rng: random.Random,
    person: dict[str, str],
    mission: dict[str, str],
    agency: accounts.Agency,
) -> dict[str, Any]:
    occurred = datetime.now(UTC) - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
    assessed = rng.random() < 0.7
    points = rng.randrange(0, 7)
    return {
        "incident_id": f"IN-B{number:09d}",
        "status": "assessed" if assessed else "submitted",
        "reference": f"DC-B{number:09d}",
        "report_to": "ofm",
        "agency_id": agency.id,
        "agency_name": agency.name,
        "filed_at": occurred.isoformat(),
        "filed_by": "apikey:bench",
        "occurred_at": occurred.isoformat(),
        "occurred_on": occurred.date().isoformat(),
        "kind": rng.choice(KINDS),
        "subject": {
            "given": {"person_id": person["person_id"]},
            "person_id": person["person_id"],
            "name": f"{person['family_name']}, {person['given_names']}",
            "mission": {
                "mission_id": mission["mission_id"],
                "name": mission["name"],
                "country": mission["country"],
                "mission_type": mission["mission_type"],
                "city": mission["city"],
                "state": mission["state"],
            },
            "category": person["category"],
            "immunity_level": "full",
            "vehicle": None,
            "registrant": None,
        },
        "lookup_reference": None,
        "citation_number": f"C-{number}",
        "violation": "Speeding",
        "narrative": "Stopped for speeding; the driver showed a State Department ID card.",
        "immunity_claimed": rng.random() < 0.5,
        "location": None,
        "reporting_officer": {"name": "Officer Bench", "badge": str(number % 9000)},
        "data_as_of": occurred.isoformat(),
        "assessment": (
            {
                "decision": "points_assessed",
                "points": points,
                "note": None,
                "assessed_at": occurred.isoformat(),
                "assessed_by": "apikey:ofm",
                "reference": f"DC-A{number:09d}",
            }
            if assessed
            else None
        ),
        "assessments": [],
    }


def _seed(
    store: SQLiteStateStore,
    count: int,
    people: tuple[list[dict[str, str]], dict[str, dict[str, str]], list[str]],
    agencies: list[accounts.Agency],
) -> None:
    """`count` reports in one transaction through the incident table's own row mapping."""
    persons, missions, _licences = people
    rng = random.Random(11)
    store.incidents.get("none")  # creates the table
    placeholders = ", ".join("?" * (len(_COLUMNS) + 3))
    sql = (
        f"INSERT INTO incidents (id, version, {', '.join(_COLUMNS)}, data) VALUES ({placeholders})"  # noqa: S608
    )
    rows = []
    for number in range(count):
        person = rng.choice(persons)
        document = _report(
            number, rng, person, missions[person["mission_id"]], rng.choice(agencies)
        )
        rows.append((document["incident_id"], 1, *_row(document), json.dumps(document)))
    with store._write() as connection:
        connection.executemany(sql, rows)


def _request(method: str, path: str, body: bytes, headers: dict[str, str]) -> harness.Request:
    return method, path, body, headers


def main() -> None:
    parser = harness.arguments(__doc__, requests=500)
    parser.add_argument("--reports", type=int, default=100_000)
    args = parser.parse_args()

    work, counts = harness.demo_data(args.scale, "incidents")
    settings = {
        "data_dir": work / "data",
        "log_level": "WARNING",
        "ratelimit_lookups": "100000000/minute",
    }
    app = harness.bench_app(settings)
    people = _people(work / "csv")
    with app.app_context():
        search_backend().publish(load_directory(work / "csv"))
        agencies = [
            accounts.create_agency(state_store(), f"Bench Police {n}") for n in range(AGENCIES)
        ]
        _key, police_key = accounts.create_api_key(state_store(), agencies[0])
        ofm = accounts.create_agency(state_store(), "Bench OFM", kind="ofm")
        _key, analyst_key = accounts.create_api_key(state_store(), ofm, role="analyst")
        store = state_store()
        assert isinstance(store, SQLiteStateStore)
        _seed(store, args.reports, people, agencies)
        total = store._read("SELECT COUNT(*) FROM incidents")[0][0]
    licences = people[2][:1000]
    country = people[1][people[0][0]["mission_id"]]["country"]
    police = {"Authorization": f"Bearer {police_key}", "Content-Type": "application/json"}
    analyst = {"Authorization": f"Bearer {analyst_key}"}
    occurred = (datetime.now(UTC) - timedelta(hours=1)).isoformat()

    def filing(index: int) -> harness.Request:
        body = {
            "occurred_at": occurred,
            "kind": "moving_violation",
            "subject": {"license_number": licences[index % len(licences)]},
            "violation": "Speeding",
            "narrative": "Bench report.",
            "reporting_officer": {"name": "Officer Bench", "badge": "1"},
        }
        return _request("POST", "/api/v1/incidents", json.dumps(body).encode(), police)

    cases: list[tuple[str, Callable[[int], harness.Request], int]] = [
        ("trivial endpoint", lambda _i: _request("GET", "", b"", {}), 200),
        ("POST /incidents (file)", filing, 201),
        (
            "GET queue (no filter)",
            lambda _i: _request("GET", "/api/v1/incidents", b"", analyst),
            200,
        ),
        (
            "GET queue status=submitted",
            lambda _i: _request("GET", "/api/v1/incidents?status=submitted", b"", analyst),
            200,
        ),
        (
            "GET queue kind+country",
            lambda _i: _request(
                "GET", f"/api/v1/incidents?kind=crash&country={quote(country)}", b"", analyst
            ),
            200,
        ),
    ]
    print(f"data: {args.scale} scale {counts}; {total} incident reports seeded")
    with harness.serving(args, app, settings) as (port, trivial_path, server):
        print(f"server: {server}")

        for name, make, expect in cases:
            latencies, rate = harness.http_case(
                port,
                trivial_path,
                make,
                expect=expect,
                warmup=50,
                requests=args.requests,
                clients=args.clients,
                seconds=args.seconds,
                timeout=60,
            )
            print(
                f"{name:<28} {harness.latency_summary(latencies)}  "
                f"{rate:7.0f} req/s with {args.clients} clients"
            )
    print(harness.load_average())


if __name__ == "__main__":
    main()
