"""Benchmark of the embedded index: import time and in-process lookup latency at full scale.

    .venv/bin/python bench/index_bench.py                 # full scale (about 1 minute)
    .venv/bin/python bench/index_bench.py --scale small   # a quick check

It generates the synthetic set, imports it (validation + publish) into a fresh SQLite directory,
then times each kind of lookup over queries drawn from the set itself, on one thread:

- exact plate, confusable plate (one or two confusable characters changed), partial pattern,
  name search (a typo, a dropped accent or swapped word order in every other query);
- each inside one pinned snapshot, and once with `snapshot()` around every lookup (what a request
  pays);
- beside a trivial Flask JSON endpoint through the test client, measured in the same run, for scale.

Results print as a Markdown table; `--json FILE` also writes them as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask

from search_index.confusables import CONFUSION_CLASSES
from search_index.demo_data import write_demo_data
from search_index.importer import load_directory
from search_index.normalize import normalize_name
from search_index.records import Dataset
from search_index.sqlite.backend import SQLiteBackend

CLASS_OF = {ch: group for group in CONFUSION_CLASSES for ch in group}


def measure(name: str, call: Callable[[Any], object], inputs: Sequence[Any]) -> dict[str, Any]:
    for value in inputs[:50]:  # warm caches (name vocabulary, page cache)
        call(value)
    timings = []
    started = time.perf_counter()
    for value in inputs:
        t0 = time.perf_counter_ns()
        call(value)
        timings.append(time.perf_counter_ns() - t0)
    elapsed = time.perf_counter() - started
    timings.sort()
    return {
        "operation": name,
        "n": len(timings),
        "p50_us": timings[len(timings) // 2] / 1000,
        "p99_us": timings[min(len(timings) - 1, int(len(timings) * 0.99))] / 1000,
        "mean_us": statistics.fmean(timings) / 1000,
        "per_second": len(timings) / elapsed,
    }


def confusable_variant(plate: str, rng: random.Random, known: set[str]) -> str | None:
    """The plate with one or two characters swapped within their class, not itself a plate."""
    positions = [i for i, ch in enumerate(plate) if ch in CLASS_OF]
    if not positions:
        return None
    chars = list(plate)
    for i in rng.sample(positions, min(len(positions), rng.choice((1, 2)))):
        chars[i] = rng.choice([c for c in CLASS_OF[chars[i]] if c != chars[i]])
    variant = "".join(chars)
    return None if variant in known else variant


def name_query(given: str | None, family: str, rng: random.Random) -> str:
    words = [(given or "").split(" ")[0], family] if given else [family]
    query = " ".join(words)
    style = rng.randrange(4)
    if style == 1 and len(family) > 4:  # a typo: drop one letter of the family name
        cut = rng.randrange(1, len(family) - 1)
        query = query.replace(family, family[:cut] + family[cut + 1 :])
    elif style == 2:
        query = normalize_name(query)  # accents dropped, lower case
    elif style == 3:
        query = " ".join(reversed(words))  # word order
    return query


def build_queries(dataset: Dataset, count: int, seed: int) -> dict[str, list[Any]]:
    rng = random.Random(seed)
    plates = [v.plate for v in dataset.vehicles]
    known = set(plates)
    exact = [rng.choice(plates) for _ in range(count)]
    confusable: list[str] = []
    while len(confusable) < count:
        variant = confusable_variant(rng.choice(plates), rng, known)
        if variant is not None:
            confusable.append(variant)
    partial = []
    for plate in (rng.choice(plates) for _ in range(count)):
        if rng.random() < 0.5:
            partial.append(plate[:4] + "*")
        else:
            partial.append(plate[0] + "?" + plate[2:5] + "*")
    people = [rng.choice(dataset.persons) for _ in range(count)]
    names = [(name_query(p.given_names, p.family_name, rng), p.person_id) for p in people]
    return {"exact": exact, "confusable": confusable, "partial": partial, "names": names}


def flask_baseline(count: int) -> dict[str, Any]:
    app = Flask("baseline")

    @app.get("/ping")
    def ping() -> dict[str, bool]:
        return {"ok": True}

    client = app.test_client()
    return measure(
        "trivial Flask endpoint (test client)", lambda _: client.get("/ping"), [None] * count
    )


def run(scale: str, seed: int, count: int, workdir: Path) -> dict[str, Any]:
    csv_dir = workdir / "csv"
    data_dir = workdir / "data"
    t0 = time.perf_counter()
    counts = write_demo_data(csv_dir, scale=scale, seed=seed, today=date.today())  # type: ignore[arg-type]
    generate_s = time.perf_counter() - t0

    backend = SQLiteBackend(data_dir)
    t0 = time.perf_counter()
    dataset = load_directory(csv_dir)
    validate_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    backend.publish(dataset)
    publish_s = time.perf_counter() - t0

    queries = build_queries(dataset, count, seed)
    results = []
    with backend.snapshot() as snap:
        results.append(measure("exact plate", lambda p: snap.find_plate(p), queries["exact"]))
        results.append(
            measure("confusable plate", lambda p: snap.find_plate(p), queries["confusable"])
        )
        results.append(
            measure("partial pattern", lambda p: snap.find_plate_pattern(p), queries["partial"])
        )
        results.append(
            measure("name search", lambda q: snap.search_persons(q[0]), queries["names"])
        )
        found = sum(
            any(hit.person.person_id == wanted for hit in snap.search_persons(query, limit=20))
            for query, wanted in queries["names"]
        )

    def exact_with_snapshot(plate: str) -> None:
        with backend.snapshot() as pinned:
            pinned.find_plate(plate)

    results.append(measure("snapshot() + exact plate", exact_with_snapshot, queries["exact"]))
    results.append(flask_baseline(count))
    backend.close()
    return {
        "scale": scale,
        "seed": seed,
        "counts": counts,
        "generate_s": generate_s,
        "import_validate_s": validate_s,
        "import_publish_s": publish_s,
        "import_total_s": validate_s + publish_s,
        "name_search_recall_at_20": found / len(queries["names"]),
        "latency": results,
    }


def report(result: dict[str, Any]) -> str:
    counts = ", ".join(f"{n:,} {name}" for name, n in result["counts"].items())
    lines = [
        f"Scale `{result['scale']}` (seed {result['seed']}): {counts}",
        "",
        f"- generate demo CSV: {result['generate_s']:.1f} s",
        f"- import: validate {result['import_validate_s']:.1f} s + publish "
        f"{result['import_publish_s']:.1f} s = **{result['import_total_s']:.1f} s**",
        f"- name search finds the intended person in the top 20 for "
        f"{result['name_search_recall_at_20']:.1%} of queries (half with a typo, "
        "lost accents or swapped words)",
        "",
        "| operation | n | p50 | p99 | mean | per second (1 thread) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in result["latency"]:
        lines.append(
            f"| {row['operation']} | {row['n']} | {row['p50_us']:.1f} µs | {row['p99_us']:.1f} µs "
            f"| {row['mean_us']:.1f} µs | {row['per_second']:,.0f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=["small", "full"], default="full")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=2000, help="lookups per operation")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = parser.parse_args(argv)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="index-bench-"))
    try:
        result = run(args.scale, args.seed, args.queries, workdir)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(report(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
