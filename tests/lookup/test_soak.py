"""Soak: audited lookups across 2 gunicorn workers (SQLite) while another process keeps running
`dipcheck agency list` and `dipcheck audit export`, with audit journals rotating every few dozen
records: no lookup refused, no answered lookup without its audit record, and the live
write-ahead log never deleted or replaced under the server.

CI runs SOAK_LOOKUPS_DEFAULT lookups (well under 90 s on a shared 2-core machine); set
DIPCHECK_SOAK_LOOKUPS=20000 to run the outside audit's full count by hand.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.factories import DIPLOMAT_PLATE
from tests.lookup.live_server import dipcheck, get, gunicorn_server, prepare

SOAK_LOOKUPS_DEFAULT = 2000
CLIENTS = 4
ROTATE = "8192"  # about 20 records: each worker's journal rotates every few dozen lookups
PLATE = f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=traffic_stop"


@pytest.mark.soak
def test_soak_lookups_beside_the_cli(tmp_path: Path) -> None:
    lookups = int(os.environ.get("DIPCHECK_SOAK_LOOKUPS", SOAK_LOOKUPS_DEFAULT))
    prepared = prepare(tmp_path / "data", DIPCHECK_AUDIT_JOURNAL_ROTATE_BYTES=ROTATE)
    env = prepared.env
    done = threading.Event()
    cli_failures: list[str] = []
    cli_runs = Counter[str]()

    def cli_loop() -> None:
        while not done.is_set():
            for command in (("agency", "list"), ("audit", "export")):
                result = dipcheck(env, *command)
                cli_runs[command[0]] += 1
                if result.returncode != 0:
                    cli_failures.append(result.stderr[-500:])

    statuses = Counter[int]()
    wal = tmp_path / "data" / "state.sqlite3-wal"
    wal_changes: list[str] = []

    def watch_wal(inode: int) -> None:
        """The live write-ahead log must stay the same file: a command that deleted it would
        leave the workers writing into a file nobody else reads (defect 1)."""
        while not done.is_set():
            try:
                if wal.stat().st_ino != inode:
                    wal_changes.append("replaced")
            except FileNotFoundError:
                wal_changes.append("deleted")
            time.sleep(0.02)

    with gunicorn_server(env, workers=2, work=tmp_path) as base:
        statuses.update([get(base, PLATE, prepared.officer_key)])  # the server's files are open
        watcher = threading.Thread(target=watch_wal, args=(wal.stat().st_ino,))
        watcher.start()
        loop = threading.Thread(target=cli_loop)
        loop.start()
        try:
            with ThreadPoolExecutor(CLIENTS) as pool:
                # At least `lookups`, and on until the commands have run twice each beside them.
                while statuses.total() < lookups or min(cli_runs.values(), default=0) < 2:
                    statuses.update(
                        pool.map(lambda _: get(base, PLATE, prepared.officer_key), range(100))
                    )
        finally:
            done.set()
            loop.join(timeout=120)
            watcher.join(timeout=10)
    answered = statuses[200]
    assert not wal_changes, Counter(wal_changes)
    assert statuses == Counter({200: answered}), statuses
    assert not cli_failures, cli_failures[0]
    exported = dipcheck(env, "audit", "export")
    assert exported.returncode == 0, exported.stderr
    recorded = [
        entry
        for entry in map(json.loads, exported.stdout.splitlines())
        if entry["channel"] == "api" and entry["action"] == "plate"
    ]
    assert len(recorded) == answered
    assert len({entry["reference"] for entry in recorded}) == answered
