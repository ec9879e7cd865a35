"""Record a few thousand lookup answers, or compare them with a recording: the check that a
change to the lookup path (the answer cache, trims) leaves every answer byte-identical.

```sh
.venv/bin/python bench/answer_record.py --out before.jsonl          # on the old commit
.venv/bin/python bench/answer_record.py --out after.jsonl --compare before.jsonl
```

It generates the small demo data set (seed 1) for a fixed day, publishes it into a fresh data
directory, pins the app's calendar day to that same day, and asks every kind of lookup through
the real app: exact plates (as stored, and lower case with a hyphen), confusable plates (one
character swapped within its confusion class), partial patterns, ID card numbers, licence
numbers, names (plain, a letter dropped, with date of birth and country), each as JSON through
the API and a share of them as the text format; then SMS replies (the real `run_lookup` on the
SMS channel, rendered as the reply). Each query is asked twice in a row, so a second answer
served from a cache (or a renderer that changed a shared answer) is compared as well.

What changes per request is blanked before comparing: the reference (`DC-XXXXX-XXXXX`), the
data set's publication time, and the text format's age. Every other byte counts.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lookup import create_app  # noqa: E402
from lookup.answers.service import run_lookup  # noqa: E402
from lookup.answers.text.render import reply_for  # noqa: E402
from lookup.config import Settings  # noqa: E402
from lookup.extensions import search_backend, state_store  # noqa: E402
from lookup.identity import accounts  # noqa: E402
from lookup.identity.principal import Principal  # noqa: E402
from search_index.confusables import CONFUSION_CLASSES  # noqa: E402
from search_index.demo_data import write_demo_data  # noqa: E402
from search_index.importer import load_directory  # noqa: E402

FIXED_DAY = date(2026, 11, 20)
_REFERENCE = re.compile(r"DC-[0-9A-Z]{5}-[0-9A-Z]{5}")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")
_AGE = re.compile(r"AGE \d+ [hd]")


def blank(text: str) -> str:
    """The answer with what may differ between two identical lookups blanked."""
    return _AGE.sub("AGE _", _TIMESTAMP.sub("_T_", _REFERENCE.sub("DC-_", text)))


def _confusable(plate: str, rng: random.Random) -> str | None:
    for n in rng.sample(range(len(plate)), len(plate)):
        for group in CONFUSION_CLASSES:
            if plate[n] in group and len(group) > 1:
                other = rng.choice([c for c in group if c != plate[n]])
                return plate[:n] + other + plate[n + 1 :]
    return None


def _rows(directory: Path, name: str) -> list[dict[str, str]]:
    with (directory / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def queries(directory: Path, per_kind: int) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(label, URL path, query parameters) of every API lookup to record."""
    rng = random.Random(19)
    vehicles = _rows(directory, "vehicles.csv")
    persons = _rows(directory, "persons.csv")
    licences = _rows(directory, "licenses.csv")
    reasons = ["traffic_stop", "crash", "investigation"]
    for n, row in enumerate(rng.sample(vehicles, min(per_kind, len(vehicles)))):
        plate = row["plate"]
        reason = reasons[n % 3]
        yield "plate", f"/api/v1/plates/{plate}", {"reason": reason}
        yield "plate_typed", f"/api/v1/plates/{plate[:2].lower()}-{plate[2:]}", {"reason": reason}
        swapped = _confusable(plate, rng)
        if swapped:
            yield "plate_confusable", f"/api/v1/plates/{swapped}", {"reason": reason}
        yield "pattern", "/api/v1/plates", {"pattern": plate[:4] + "*", "reason": reason}
        if n % 4 == 0:
            yield "plate_text", f"/api/v1/plates/{plate}", {"reason": reason, "format": "text"}
    for n, row in enumerate(rng.sample(persons, min(per_kind, len(persons)))):
        if row.get("credential_number"):
            path = f"/api/v1/credentials/{row['credential_number']}"
            yield "credential", path, {"reason": "crash"}
        name = f"{row.get('given_names', '')} {row.get('family_name', '')}".strip()
        if name:
            yield "person", "/api/v1/persons", {"name": name, "reason": "investigation"}
            if len(name) > 6:
                typo = name[:3] + name[4:]
                yield "person_typo", "/api/v1/persons", {"name": typo, "reason": "investigation"}
            if n % 3 == 0 and row.get("date_of_birth"):
                params = {"name": name, "reason": "crash", "date_of_birth": row["date_of_birth"]}
                yield "person_dob", "/api/v1/persons", params
            if n % 5 == 0:
                params = {"name": name, "reason": "crash", "format": "text"}
                yield "person_text", "/api/v1/persons", params
    for n, row in enumerate(rng.sample(licences, min(per_kind, len(licences)))):
        yield "license", f"/api/v1/licenses/{row['license_number']}", {"reason": "traffic_stop"}
        if n % 4 == 0:
            params = {"reason": "traffic_stop", "format": "text"}
            yield "license_text", f"/api/v1/licenses/{row['license_number']}", params
    yield "no_match", "/api/v1/plates/ZZ99999", {"reason": "crash"}
    yield "no_match_text", "/api/v1/credentials/X0", {"reason": "crash", "format": "text"}


def sms_queries(directory: Path, count: int) -> Iterator[tuple[str, str]]:
    rng = random.Random(20)
    for row in rng.sample(_rows(directory, "vehicles.csv"), count):
        yield "plate", row["plate"]
    for row in rng.sample(_rows(directory, "licenses.csv"), count):
        yield "license", row["license_number"]
    for row in rng.sample(_rows(directory, "persons.csv"), count):
        if row.get("credential_number"):
            yield "credential", row["credential_number"]


def record(out: Path, per_kind: int) -> int:
    Settings.local_date = lambda self, moment=None: FIXED_DAY  # type: ignore[method-assign]
    written = 0
    with tempfile.TemporaryDirectory() as tmp, out.open("w", encoding="utf-8") as sink:
        data_dir, csv_dir = Path(tmp) / "data", Path(tmp) / "csv"
        write_demo_data(csv_dir, scale="small", seed=1, today=FIXED_DAY)
        app = create_app(data_dir=data_dir, log_level="WARNING", ratelimit_lookups="1000000/minute")
        with app.app_context():
            search_backend().publish(load_directory(csv_dir))
            agency = accounts.create_agency(state_store(), "Recorder PD")
            key = accounts.create_api_key(state_store(), agency, role="officer", label="recorder")[
                1
            ]
        client = app.test_client()
        headers = {"Authorization": f"Bearer {key}"}

        def write(label: str, request: Any, status: int, text: str) -> None:
            nonlocal written
            line = {"kind": label, "request": request, "status": status, "answer": blank(text)}
            sink.write(json.dumps(line, ensure_ascii=False) + "\n")
            written += 1

        for label, path, params in queries(csv_dir, per_kind):
            for _twice in range(2):
                response = client.get(path, query_string=params, headers=headers)
                write(label, [path, params], response.status_code, response.get_data(as_text=True))
        principal = Principal(agency.id, agency.name, "apikey:recorder", "officer")
        with app.test_request_context():
            for kind, value in sms_queries(csv_dir, max(1, per_kind // 4)):
                for _twice in range(2):
                    result = run_lookup(
                        principal,
                        channel="sms",
                        kind=kind,  # type: ignore[arg-type]
                        value=value,
                        reason="traffic_stop",
                        client=None,
                    )
                    verify = str(result.body["verify"]["phone"])
                    reply = reply_for(kind, value, result.body, verify)
                    write(f"sms_{kind}", [kind, value], 200, reply)
    return written


def compare(out: Path, before: Path) -> int:
    """Print each answer that differs; the number of differences (a missing line counts)."""
    old = before.read_text(encoding="utf-8").splitlines()
    new = out.read_text(encoding="utf-8").splitlines()
    differences = abs(len(old) - len(new))
    for n, (a, b) in enumerate(zip(old, new, strict=False), start=1):
        if a != b:
            differences += 1
            if differences <= 5:
                print(f"line {n} differs:\n  before {a[:300]}\n  after  {b[:300]}")
    return differences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compare", type=Path, help="a recording to compare with")
    parser.add_argument("--per-kind", type=int, default=150)
    args = parser.parse_args()
    started = time.perf_counter()
    count = record(args.out, args.per_kind)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()[:16]
    print(f"recorded {count} answers in {time.perf_counter() - started:.1f} s, sha256 {digest}")
    if args.compare:
        differences = compare(args.out, args.compare)
        print(f"{differences} answers differ from {args.compare.name}")
        sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
