"""The app on a live Elasticsearch beside the same app on SQLite, in one run.

    python bench/live_es_bench.py [--scale full|small] [--seconds 15] [--connections 8]
                                  [--workers 2] [--elasticsearch-url URL] [--json FILE]

Without --elasticsearch-url it starts a single local node with scripts/elasticsearch.sh (heap
from ES_HEAP, default here 1g) and stops it at the end. For each backend it:

1. imports the synthetic set (full scale: about 2,600 missions, 124,000 persons, 12,000
   vehicles, 45,000 licences) with `dipcheck import`'s own function, timed (validation and
   publishing: bulk load, refresh, alias switch on Elasticsearch; index file on SQLite);
2. serves the app with gunicorn (sync workers) and drives it with wrk, one after the other:
   `GET /healthz` (the trivial endpoint), audited exact-plate lookups over 500 plates and 50 API
   keys (bench/api_bench.py's request), and audited name searches over 300 names drawn from the
   set (a third typed with one typo, a third in reversed word order).

On Elasticsearch the audit records and API keys live in the cluster too, as
DIPCHECK_ELASTICSEARCH_URL sets up. wrk shares the cores with the server and the node.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import harness  # noqa: E402
from bench.api_bench import LUA, PLATE_SAMPLE, run_wrk  # noqa: E402
from lookup import create_app  # noqa: E402
from lookup.cli_data import import_directory  # noqa: E402
from lookup.extensions import search_backend, state_store  # noqa: E402
from lookup.identity import accounts  # noqa: E402
from search_index.demo_data import write_demo_data  # noqa: E402
from search_index.normalize import normalize_plate  # noqa: E402

KEYS = 50
NAME_SAMPLE = 300

NAME_LUA = """
local paths = {%s}
local keys = {%s}
local n = 0
request = function()
  n = n + 1
  local key = keys[(n %% #keys) + 1]
  return wrk.format("GET", paths[(n %% #paths) + 1], {["Authorization"] = "Bearer " .. key})
end
"""


def samples(csv_dir: Path) -> tuple[list[str], list[str]]:
    """Plates and name-search paths drawn from the set (seeded)."""
    rng = random.Random(1)
    with (csv_dir / "vehicles.csv").open(encoding="utf-8", newline="") as handle:
        plates = [normalize_plate(row["plate"]) for row in csv.DictReader(handle)]
    rng.shuffle(plates)
    with (csv_dir / "persons.csv").open(encoding="utf-8", newline="") as handle:
        people = [(row["given_names"], row["family_name"]) for row in csv.DictReader(handle)]
    paths = []
    for n, (given, family) in enumerate(rng.sample(people, NAME_SAMPLE)):
        if n % 3 == 1 and len(family) > 3:
            family = family[0] + family[2] + family[1] + family[3:]  # one transposition
        name = f"{family} {given}" if n % 3 == 2 else f"{given} {family}"
        paths.append(f"/api/v1/persons?name={quote(name.strip())}&reason=investigation")
    return plates[:PLATE_SAMPLE], paths


def deploy(settings: dict[str, Any], csv_dir: Path) -> tuple[float, dict[str, int], list[str]]:
    """Import the set (timed) and create the API keys; returns seconds, counts and keys."""
    app = create_app(**settings)
    with app.app_context():
        started = time.perf_counter()
        info = import_directory(search_backend(), csv_dir)
        seconds = time.perf_counter() - started
        keys = []
        for n in range(KEYS):
            name = f"Bench PD {n}"
            agency = accounts.find_agency(state_store(), name) or accounts.create_agency(
                state_store(), name
            )
            keys.append(
                accounts.create_api_key(state_store(), agency, role="officer", label="bench")[1]
            )
        search_backend().close()
        state_store().close()
    return seconds, info.counts, keys


def measure(
    label: str, settings: dict[str, Any], csv_dir: Path, work: Path, args: argparse.Namespace
) -> dict[str, Any]:
    seconds, counts, keys = deploy(settings, csv_dir)
    print(f"{label}: imported {counts} in {seconds:.1f} s", flush=True)
    plates, names = samples(csv_dir)
    quoted_keys = ", ".join(f'"{k}"' for k in keys)
    plate_script = work / f"{label}-plates.lua"
    plate_script.write_text(LUA % (", ".join(f'"{p}"' for p in plates), quoted_keys), "utf-8")
    name_script = work / f"{label}-names.lua"
    name_script.write_text(NAME_LUA % (", ".join(f'"{p}"' for p in names), quoted_keys), "utf-8")
    env = harness.environment(settings | {"log_level": "WARNING"})
    env["DIPCHECK_RATELIMIT_LOOKUPS"] = "1000000/minute"
    with harness.gunicorn_server(env, workers=args.workers, work=work) as port:
        base = f"http://127.0.0.1:{port}"
        run_wrk(base, 3, args.connections, plate_script)  # warm-up
        trivial = run_wrk(f"{base}/healthz", args.seconds, args.connections, None)
        plate = run_wrk(base, args.seconds, args.connections, plate_script)
        name = run_wrk(base, args.seconds, args.connections, name_script)
    return {
        "import_seconds": round(seconds, 1),
        "counts": counts,
        "trivial_healthz": trivial,
        "audited_plate_lookup": plate,
        "audited_name_search": name,
    }


def cluster_version(url: str) -> str:
    from search_index.elasticsearch.client import ClientOptions, connect

    client = connect(url, ClientOptions(request_timeout=10.0))
    try:
        return str(client.info()["version"]["number"])
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=["full", "small"], default="full")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--elasticsearch-url", help="a running cluster (else one is started)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (Debian/Ubuntu)")

    with tempfile.TemporaryDirectory(prefix="dipcheck-live-es-bench-") as temporary:
        work = Path(temporary)
        csv_dir = work / "csv"
        write_demo_data(csv_dir, scale=args.scale, seed=1)
        with harness.elasticsearch_node(args.elasticsearch_url, work / "es-state") as url:
            sqlite_dir = work / "sqlite"
            es_dir = work / "es"
            sqlite_dir.mkdir()
            es_dir.mkdir()
            results: dict[str, Any] = {
                "scale": args.scale,
                "workers": args.workers,
                "connections": args.connections,
                "seconds": args.seconds,
                "elasticsearch_version": cluster_version(url),
                "sqlite": measure("sqlite", {"data_dir": sqlite_dir}, csv_dir, sqlite_dir, args),
                "elasticsearch": measure(
                    "elasticsearch",
                    {"data_dir": es_dir, "elasticsearch_url": url},
                    csv_dir,
                    es_dir,
                    args,
                ),
                "cpu_count": os.cpu_count(),
                "load_average": os.getloadavg(),
            }
    print(json.dumps(results, indent=2))
    harness.write_json(results, args.json)


if __name__ == "__main__":
    main()
