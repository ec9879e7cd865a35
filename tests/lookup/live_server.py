"""A real server and real `dipcheck` commands in their own processes, for the tests whose defect
only shows between processes (SQLite's locks, journals of several workers).

`prepare(data_dir)` publishes the small data set and creates an agency with an officer key,
then closes every connection, so the test process itself holds no lock on the databases.
`gunicorn_server(...)` serves `lookup:create_app()` with sync workers on a free loopback port;
`dipcheck(...)` runs one CLI command against the same data directory.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lookup import create_app
from lookup.extensions import search_backend, services, state_store
from lookup.identity import accounts
from lookup.identity.key_cache import clear_cache
from tests.factories import small_dataset

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Prepared:
    env: dict[str, str]
    officer_key: str
    agency_id: str


def environment(data_dir: Path, **settings: str) -> dict[str, str]:
    """This process's environment without its DIPCHECK_* variables, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPCHECK_")}
    return env | {
        "DIPCHECK_DATA_DIR": str(data_dir),
        "DIPCHECK_LOG_LEVEL": "WARNING",
        "DIPCHECK_RATELIMIT_LOOKUPS": "1000000/minute",
        **settings,
    }


def prepare(data_dir: Path, **settings: str) -> Prepared:
    env = environment(data_dir, **settings)
    app = create_app(data_dir=data_dir, TESTING=True)
    with app.app_context():
        search_backend().publish(small_dataset())
        agency = accounts.create_agency(state_store(), "Metro Police")
        _, key = accounts.create_api_key(state_store(), agency, role="officer")
        search_backend().close()
        services().store.close()
    clear_cache()
    return Prepared(env=env, officer_key=key, agency_id=agency.id)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def gunicorn_server(
    env: Mapping[str, str], *, workers: int, work: Path, extra: tuple[str, ...] = ()
) -> Iterator[str]:
    """The base URL of a gunicorn serving the app (once /readyz answers 200); stopped (SIGTERM,
    then waited for) when the block ends. Its output goes to `work / "server.log"`."""
    config = work / "gunicorn.test.py"
    config.write_text("max_requests = 0\n", encoding="utf-8")
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "--config",
        str(config),
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(REPO),
        # Several servers may run at once on one machine: none may take over a shared socket.
        "--no-control-socket",
        *extra,
        "lookup:create_app()",
    ]
    log_path = work / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, env=dict(env), stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, base, log_path)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _wait_ready(process: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the server did not become ready:\n{log_path.read_text()[-3000:]}")


def get(base: str, path: str, key: str | None = None) -> int:
    """The status of one GET (a fresh connection, as sync workers serve them)."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    request = urllib.request.Request(base + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()
            status: int = answer.status
            return status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code


def dipcheck(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "dipcheck"), *args],
        cwd=REPO,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
