"""JSON API benchmark: authenticated, audited exact-plate lookups beside a trivial endpoint.

    python bench/api_bench.py [--scale full|small] [--seconds 20] [--connections 8]
                              [--workers 2] [--batch-size 25] [--data-dir DIR] [--json FILE]

It generates the synthetic data set (full scale: about 2,600 missions, 124,000 persons, 12,000
vehicles, 45,000 licences), imports it into a fresh SQLite data directory (or reuses
`--data-dir` when it already holds a published set), creates 250 agencies with an API key each,
and serves the real app with gunicorn (sync workers, the default 2). `wrk` then drives, one after
the other on the same server:

1. `GET /healthz`: the trivial endpoint (no auth, no audit, no index) for scale;
2. `GET /api/v1/plates/<plate>?reason=traffic_stop` with `Authorization: Bearer <key>`, cycling
   over 500 plates drawn from the data set and 250 keys: key check (cached), rate-limit check,
   snapshot, exact-plate lookup, answer building, and one audit record committed to SQLite and
   synced to the worker's audit journal (fdatasync) before the answer is sent;
3. `POST /api/v1/plates:batch` with `{"plates": [...], "reason": "traffic_stop"}`, `--batch-size`
   plates a request (default 25) from the same 500, cycling over the same keys: each plate is one
   lookup (allowance, snapshot, answer, audit record), reported as plates/s beside requests/s.

After the run it counts the audit records the lookups left and compares them with the answered
requests wrk reports: every answered lookup must have its durable record. The lookups rotate over
250 API keys of 250 agencies, like many agency systems at once, so the default limit (600 lookups
a minute per key, in-process memory counters) is checked on every request and never refuses;
operational logs go to a file, as in production.

wrk comes from Debian (`apt-get install -y wrk`); the script says so and stops if it is missing.
The load generator shares the machine's cores with the server, so figures understate the server.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import harness  # noqa: E402
from lookup import accounts, create_app  # noqa: E402
from lookup.extensions import search_backend, state_store  # noqa: E402
from lookup.store.base import AuditFilter  # noqa: E402
from search_index.normalize import normalize_plate  # noqa: E402

PLATE_SAMPLE = 500
KEYS = 250
_LATENCY = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_TOTAL = re.compile(r"^\s+(\d+) requests in ", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_ERRORS = re.compile(r"Socket errors: (.*)$", re.MULTILINE)

LUA = """
local plates = {%s}
local keys = {%s}
local n = 0
request = function()
  n = n + 1
  local plate = plates[(n %% #plates) + 1]
  local key = keys[(n %% #keys) + 1]
  return wrk.format("GET", "/api/v1/plates/" .. plate .. "?reason=traffic_stop",
                    {["Authorization"] = "Bearer " .. key})
end
"""

LUA_BATCH = """
local bodies = {%s}
local keys = {%s}
local n = 0
request = function()
  n = n + 1
  local body = bodies[(n %% #bodies) + 1]
  local key = keys[(n %% #keys) + 1]
  return wrk.format("POST", "/api/v1/plates:batch",
                    {["Authorization"] = "Bearer " .. key,
                     ["Content-Type"] = "application/json"}, body)
end
"""


def batch_bodies(plates: list[str], size: int) -> list[str]:
    """The plates in JSON batch bodies of `size`, as Lua long strings (plates are letters and
    digits, so no body can close one)."""
    chunks = [plates[i : i + size] for i in range(0, len(plates) - size + 1, size)]
    return [
        "[[" + json.dumps({"plates": chunk, "reason": "traffic_stop"}) + "]]" for chunk in chunks
    ]


def prepare(data_dir: Path, scale: str) -> list[str]:
    """Publish the data set (unless already published) and return sample plates from it."""
    csv_dir = data_dir / "bench-csv"
    app = create_app(data_dir=data_dir, log_level="WARNING")
    with app.app_context():
        backend = search_backend()
        if backend.dataset_info() is None:
            from search_index.demo_data import write_demo_data
            from search_index.importer import load_directory

            started = time.perf_counter()
            write_demo_data(csv_dir, scale=scale, seed=1)  # type: ignore[arg-type]
            info = backend.publish(load_directory(csv_dir))
            print(f"published {info.counts} in {time.perf_counter() - started:.1f} s", flush=True)
        backend.close()
    with (csv_dir / "vehicles.csv").open(encoding="utf-8", newline="") as handle:
        plates = [normalize_plate(row["plate"]) for row in csv.DictReader(handle)]
    random.Random(1).shuffle(plates)
    return plates[:PLATE_SAMPLE]


def make_keys(data_dir: Path, count: int) -> list[str]:
    """API keys of `count` agencies: like many agency systems, each well inside its own limit."""
    app = create_app(data_dir=data_dir, log_level="WARNING")
    keys = []
    with app.app_context():
        for n in range(count):
            name = f"Bench PD {n}"
            agency = accounts.find_agency(name) or accounts.create_agency(name)
            keys.append(accounts.create_api_key(agency, role="officer", label="bench")[1])
    return keys


def audit_count(data_dir: Path) -> int:
    app = create_app(data_dir=data_dir, log_level="WARNING")
    with app.app_context():
        return sum(1 for _ in state_store().iter_audit(AuditFilter()))


def cpu_breakdown(
    data_dir: Path, plates: list[str], key: str, rounds: int = 300
) -> dict[str, float]:
    """Where a lookup's CPU goes, in process (CPU µs per call, mean of `rounds`): the index, the
    answer, the audit record, the whole service call, and the HTTP layer around it, beside a
    trivial request. CPU time, so other processes on the machine inflate it far less than the
    wall-clock figures of the wrk runs."""
    from lookup import answers
    from lookup.audit import record
    from lookup.auth import Principal
    from lookup.service import _context, run_lookup

    app = create_app(data_dir=data_dir, log_level="WARNING")
    principal = Principal("bench", "Bench", "apikey:bench", "officer")

    def timed(action: Any) -> float:
        action(0)
        started = time.process_time()
        for n in range(rounds):
            action(n)
        return round((time.process_time() - started) / rounds * 1e6, 1)

    def index(n: int) -> None:
        with search_backend().snapshot() as snapshot:
            snapshot.find_plate(plates[n % len(plates)])

    def answer(n: int) -> None:
        with search_backend().snapshot() as snapshot:
            context = _context(True)
            for match in snapshot.find_plate(plates[n % len(plates)]):
                answers.plate_match_json(snapshot, match, context)

    def audit(n: int) -> None:
        record(principal, channel="api", action="plate", query=plates[0], outcome="match")

    def service(n: int) -> None:
        run_lookup(
            principal,
            channel="api",
            kind="plate",
            value=plates[n % len(plates)],
            reason="traffic_stop",
            client=None,
        )

    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}

    def http(n: int) -> None:
        client.get(f"/api/v1/plates/{plates[n % len(plates)]}?reason=crash", headers=headers)

    with app.test_request_context():
        figures = {
            "index_snapshot_and_exact_plate": timed(index),
            "plus_answer_building": timed(answer),
            "audit_record_append": timed(audit),
            "run_lookup": timed(service),
        }
    figures["http_lookup_test_client"] = timed(http)
    figures["http_healthz_test_client"] = timed(lambda n: client.get("/healthz"))
    return figures


def run_wrk(url: str, seconds: int, connections: int, script: Path | None) -> dict[str, Any]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    latency = {f"p{p}": float(v) * scale[u] for p, v, u in _LATENCY.findall(output)}
    non_2xx = _NON_2XX.search(output)
    errors = _ERRORS.search(output)
    return {
        "requests": int(_TOTAL.search(output).group(1)),  # type: ignore[union-attr]
        "per_second": float(_RATE.search(output).group(1)),  # type: ignore[union-attr]
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
        "latency_ms": latency,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=["full", "small"], default="full")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=25, help="plates per batch request")
    parser.add_argument("--data-dir", type=Path, help="reuse (or create) this data directory")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (Debian/Ubuntu)")

    temporary = None
    if args.data_dir is None:
        temporary = tempfile.TemporaryDirectory(prefix="dipcheck-api-bench-")
        data_dir = Path(temporary.name)
    else:
        data_dir = args.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)

    plates = prepare(data_dir, args.scale)
    keys = make_keys(data_dir, KEYS)
    script = data_dir / "plates.lua"
    script.write_text(
        LUA % (", ".join(f'"{p}"' for p in plates), ", ".join(f'"{k}"' for k in keys)),
        encoding="utf-8",
    )
    quoted_keys = ", ".join(f'"{k}"' for k in keys)
    batch_script = data_dir / "batch.lua"
    batch_script.write_text(
        LUA_BATCH % (", ".join(batch_bodies(plates, args.batch_size)), quoted_keys),
        encoding="utf-8",
    )
    breakdown = cpu_breakdown(data_dir, plates, keys[0])
    settings = harness.environment({"data_dir": data_dir, "log_level": "INFO"})
    with harness.gunicorn_server(settings, workers=args.workers, work=data_dir) as port:
        base = f"http://127.0.0.1:{port}"
        run_wrk(f"{base}/healthz", 3, args.connections, None)  # warm-up
        run_wrk(base, 3, args.connections, script)
        before = audit_count(data_dir)
        trivial = run_wrk(f"{base}/healthz", args.seconds, args.connections, None)
        lookup = run_wrk(base, args.seconds, args.connections, script)
        batch = run_wrk(base, args.seconds, args.connections, batch_script)
        after = audit_count(data_dir)

    audited = after - before
    batch["batch_size"] = args.batch_size
    batch["plates_per_second"] = round(batch["per_second"] * args.batch_size, 1)
    answered = (
        lookup["requests"]
        - lookup["non_2xx"]
        + (batch["requests"] - batch["non_2xx"]) * args.batch_size
    )
    results = {
        "scale": args.scale,
        "workers": args.workers,
        "connections": args.connections,
        "seconds": args.seconds,
        "plates_sampled": len(plates),
        "trivial_healthz": trivial,
        "audited_plate_lookup": lookup,
        "audited_plate_batch": batch,
        "cpu_us_per_call_in_process": breakdown,
        "audit_records_written": audited,
        "answered_lookups": answered,
        "throughput_ratio_lookup_to_trivial": round(
            lookup["per_second"] / trivial["per_second"], 3
        ),
        "throughput_ratio_batch_plates_to_single_lookups": round(
            batch["plates_per_second"] / lookup["per_second"], 3
        ),
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
    }
    print(json.dumps(results, indent=2))
    if audited < answered:
        print(f"FAIL: {answered} answered lookups but only {audited} audit records", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    if temporary is not None:
        temporary.cleanup()


if __name__ == "__main__":
    main()
