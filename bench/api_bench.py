"""JSON API benchmark: authenticated, audited exact-plate lookups beside a trivial endpoint.

    python bench/api_bench.py [--scale full|small] [--rounds 5] [--seconds 10] [--connections 8]
                              [--workers 2] [--worker-class sync|gthread] [--threads 4]
                              [--batch-size 25] [--data-dir DIR] [--json FILE]

It generates the synthetic data set (full scale: about 2,600 missions, 124,000 persons, 12,000
vehicles, 45,000 licences), imports it into a fresh SQLite data directory (or reuses
`--data-dir` when it already holds a published set), creates 250 agencies with an API key each,
and serves the real app with gunicorn twice on the same data: once as configured (answer cache
on) and once with `DIPCHECK_ANSWER_CACHE_MB=0` (every answer built, as on a cold cache). `wrk`
then drives `--rounds` interleaved rounds, each of:

1. `GET /healthz`: the trivial endpoint (no auth, no audit, no index) for scale;
2. `GET /api/v1/plates/<plate>?reason=traffic_stop` with `Authorization: Bearer <key>`, cycling
   over 500 plates drawn from the data set and 250 keys: key check (cached), rate-limit check,
   snapshot, answer (from the answer cache once built), and one audit record committed to SQLite
   and synced to the worker's audit journal (fdatasync) before the answer is sent;
3. the same lookups on the cache-off server.

Each measurement also reads the server processes' CPU time (utime + stime of /proc/<pid>/stat,
master and workers) before and after, and reports CPU per answered request: on a machine shared
with other work it moves far less than requests/s. Per round it reports the ratio of lookups/s to
the trivial endpoint's, and the medians over the rounds. Then, once: `POST /api/v1/plates:batch`
(`--batch-size` plates a request, each plate one lookup with its audit record); system calls per
request of each endpoint (`strace -f -c` attached to the server's processes while one wrk
connection drives it for 3 s); and the mean answer size (JSON and text format) over 100 plates.

After the run it counts the audit records the lookups left and compares them with the answered
requests wrk reports: every answered lookup must have its durable record. The lookups rotate over
250 API keys of 250 agencies, like many agency systems at once, so the default limit (600 lookups
a minute per key, in-process memory counters) is checked on every request and never refuses;
operational logs go to a file, as in production.

wrk and strace come from Debian (`apt-get install -y wrk strace`); the script says so and stops if
one is missing. The load generator shares the machine's cores with the server, so figures
understate the server.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import harness  # noqa: E402
from lookup import create_app  # noqa: E402
from lookup.extensions import search_backend, state_store  # noqa: E402
from lookup.identity import accounts  # noqa: E402
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
            agency = accounts.find_agency(state_store(), name) or accounts.create_agency(
                state_store(), name
            )
            keys.append(
                accounts.create_api_key(state_store(), agency, role="officer", label="bench")[1]
            )
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
    from lookup.answers import build as answers
    from lookup.answers.service import answer_context, run_lookup
    from lookup.audit.records import record
    from lookup.identity.principal import Principal

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
            context = answer_context(True)
            answers.plate_matches_json(
                snapshot, snapshot.find_plate(plates[n % len(plates)]), context
            )

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


def server_pids(port: int) -> list[int]:
    """The gunicorn master and workers serving `port` (forked workers share its command line)."""
    bind = f"127.0.0.1:{port}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"gunicorn" in command and bind in command:
                pids.append(int(entry.name))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU the processes have used (utime + stime of /proc/<pid>/stat)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def measured(
    url: str, seconds: int, connections: int, script: Path | None, pids: list[int]
) -> dict[str, Any]:
    """A wrk run plus the server's CPU per answered request during it."""
    before = cpu_seconds(pids)
    figures = run_wrk(url, seconds, connections, script)
    used = cpu_seconds(pids) - before
    figures["server_cpu_us_per_request"] = round(used / max(1, figures["requests"]) * 1e6, 1)
    return figures


def syscalls_per_request(url: str, script: Path | None, pids: list[int], work: Path) -> float:
    """System calls the server makes per request (strace -f -c on its processes while one wrk
    connection drives it for 3 s); strace slows the server, the count per request stays."""
    out = work / "strace.txt"
    attach = [arg for pid in pids for arg in ("-p", str(pid))]
    tracer = subprocess.Popen(["strace", "-f", "-c", "-o", str(out), *attach])
    time.sleep(1.0)
    try:
        requests = int(run_wrk(url, 3, 1, script)["requests"])
    finally:
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=30)
    return round(strace_total_calls(out.read_text()) / max(1, requests), 1)


def strace_total_calls(summary: str) -> int:
    """The `calls` column of strace -c's `total` line (columns are right-aligned under their
    header; `usecs/call` and `errors` may be blank)."""
    lines = summary.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("% time"))
    end = header.index("calls") + len("calls")
    total = next(line for line in lines if line.rstrip().endswith(" total"))
    return int(total[:end].split()[-1])


def answer_bytes(base: str, plates: list[str], key: str) -> dict[str, float]:
    """Mean bytes of a plate answer body (JSON and text format) over the sampled plates."""
    sizes: dict[str, list[int]] = {"json": [], "text": []}
    for plate in plates[:100]:
        for form, extra in (("json", ""), ("text", "&format=text")):
            url = f"{base}/api/v1/plates/{plate}?reason=traffic_stop{extra}"
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
            with urllib.request.urlopen(request, timeout=10) as answer:
                sizes[form].append(len(answer.read()))
    return {form: round(statistics.mean(values), 1) for form, values in sizes.items()}


def interleaved_rounds(
    bases: dict[str, str],
    pids: dict[str, list[int]],
    script: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """`args.rounds` rounds of trivial, lookup (answer cache on) and lookup with the cache off
    (every answer built, as on a cold cache), one after the other, so that the machine's load
    weighs on all three alike; per-round ratios to the trivial endpoint and their medians."""
    rounds = []
    for _round in range(args.rounds):
        trivial = measured(
            f"{bases['cached']}/healthz", args.seconds, args.connections, None, pids["cached"]
        )
        cached = measured(bases["cached"], args.seconds, args.connections, script, pids["cached"])
        cold = measured(bases["cold"], args.seconds, args.connections, script, pids["cold"])
        rounds.append(
            {
                "trivial": trivial,
                "lookup": cached,
                "lookup_cache_cold": cold,
                "ratio_lookup": round(cached["per_second"] / trivial["per_second"], 3),
                "ratio_lookup_cache_cold": round(cold["per_second"] / trivial["per_second"], 3),
                "load_average": os.getloadavg(),
            }
        )

    def median(path: tuple[str, ...]) -> float:
        values = []
        for each in rounds:
            value: Any = each
            for part in path:
                value = value[part]
            values.append(float(value))
        return round(statistics.median(values), 3)

    summary = {name: median((name,)) for name in ("ratio_lookup", "ratio_lookup_cache_cold")} | {
        f"{name}_{figure}": median(path)
        for name in ("trivial", "lookup", "lookup_cache_cold")
        for figure, path in (
            ("per_second", (name, "per_second")),
            ("p99_ms", (name, "latency_ms", "p99")),
            ("server_cpu_us_per_request", (name, "server_cpu_us_per_request")),
        )
    }
    return {"medians": summary, "rounds": rounds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=["full", "small"], default="full")
    parser.add_argument("--seconds", type=int, default=10, help="per measurement of a round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=4, help="per gthread worker")
    parser.add_argument("--batch-size", type=int, default=25, help="plates per batch request")
    parser.add_argument("--data-dir", type=Path, help="reuse (or create) this data directory")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    for tool, package in (("wrk", "wrk"), ("strace", "strace")):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: apt-get install -y {package}")

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
    settings = {"data_dir": data_dir, "log_level": "INFO"}
    cached_env = harness.environment(settings)
    cold_env = harness.environment(settings | {"answer_cache_mb": 0})
    work = data_dir
    serve: dict[str, Any] = {"worker_class": args.worker_class, "threads": args.threads}
    serve["workers"], serve["work"] = args.workers, work
    with (
        harness.gunicorn_server(cached_env, **serve) as cached_port,
        harness.gunicorn_server(cold_env, **serve) as cold_port,
    ):
        bases = {
            "cached": f"http://127.0.0.1:{cached_port}",
            "cold": f"http://127.0.0.1:{cold_port}",
        }
        pids = {"cached": server_pids(cached_port), "cold": server_pids(cold_port)}
        for base in bases.values():
            run_wrk(f"{base}/healthz", 2, args.connections, None)  # warm-up
            run_wrk(base, 3, args.connections, script)
        before = audit_count(data_dir)
        rounds = interleaved_rounds(bases, pids, script, args)
        batch = run_wrk(bases["cached"], args.seconds, args.connections, batch_script)
        after = audit_count(data_dir)
        healthz = f"{bases['cached']}/healthz"
        syscalls = {
            "trivial": syscalls_per_request(healthz, None, pids["cached"], work),
            "lookup": syscalls_per_request(bases["cached"], script, pids["cached"], work),
            "lookup_cache_cold": syscalls_per_request(bases["cold"], script, pids["cold"], work),
        }
        sizes = answer_bytes(bases["cached"], plates, keys[0])

    audited = after - before
    batch["batch_size"] = args.batch_size
    batch["plates_per_second"] = round(batch["per_second"] * args.batch_size, 1)
    answered = (
        sum(
            each[name]["requests"] - each[name]["non_2xx"]
            for each in rounds["rounds"]
            for name in ("lookup", "lookup_cache_cold")
        )
        + (batch["requests"] - batch["non_2xx"]) * args.batch_size
    )
    results = {
        "scale": args.scale,
        "workers": args.workers,
        "worker_class": args.worker_class,
        "threads": args.threads if args.worker_class == "gthread" else 1,
        "connections": args.connections,
        "seconds": args.seconds,
        "plates_sampled": len(plates),
        "interleaved": rounds,
        "audited_plate_batch": batch,
        "syscalls_per_request": syscalls,
        "answer_bytes": sizes,
        "cpu_us_per_call_in_process": breakdown,
        "audit_records_written": audited,
        "answered_lookups": answered,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
    }
    print(json.dumps(results, indent=2))
    if audited < answered:
        print(f"FAIL: {answered} answered lookups but only {audited} audit records", flush=True)
    harness.write_json(results, args.json)
    if temporary is not None:
        temporary.cleanup()


if __name__ == "__main__":
    main()
