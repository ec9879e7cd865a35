"""A live server keeps answering while other processes open, read and close its state database.

SQLite's locks are POSIX locks, which a process loses on a file as soon as it closes *any*
descriptor of that file. A server that once opened `state.sqlite3` outside SQLite (to fsync it
when emptying the audit journal) lost them; the next `dipcheck` command then believed it was the
last user, deleted the live write-ahead log, and the records the server wrote afterwards went
into the deleted file: answered, and then lost (or, as the outside audit saw it, every lookup
refused until restart).
"""

from __future__ import annotations

from pathlib import Path

from tests.factories import DIPLOMAT_PLATE
from tests.lookup.live_server import dipcheck, get, gunicorn_server, prepare

# About ten records fill a journal this small, so a few dozen lookups rotate it several times.
ROTATE = "4096"
PLATE = f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=traffic_stop"


def test_cli_beside_a_server_whose_journal_rotated(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    prepared = prepare(data_dir, DIPCHECK_AUDIT_JOURNAL_ROTATE_BYTES=ROTATE)
    env = prepared.env
    statuses: list[int] = []
    with gunicorn_server(env, workers=2, work=tmp_path) as base:
        for _round in range(3):
            statuses += [get(base, PLATE, prepared.officer_key) for _ in range(30)]
            listed = dipcheck(env, "agency", "list")
            assert listed.returncode == 0, listed.stderr
            assert "Metro Police" in listed.stdout
            exported = dipcheck(env, "audit", "export")
            assert exported.returncode == 0, exported.stderr
            # The live write-ahead log is still there, and every answered lookup's record in it.
            assert (data_dir / "state.sqlite3-wal").exists()
            assert len(exported.stdout.splitlines()) == len(statuses)
    assert statuses == [200] * 90
    exported = dipcheck(env, "audit", "export")
    assert exported.returncode == 0, exported.stderr
    assert len(exported.stdout.splitlines()) == 90
