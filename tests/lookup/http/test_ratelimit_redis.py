"""Rate limits shared through a real Redis by separate app processes (gunicorn, 2 workers each).

The test starts its own redis-server on a free loopback port in a temporary directory and two
gunicorn instances of the real app pointing at it, then sends lookups to both: no more than the
limit may pass in total. Then it stops Redis and checks the documented degraded mode: each
process keeps limiting in memory (Flask-Limiter's in-memory fallback), lookups still answer,
nothing answers 5xx, and once Redis is back the shared count is used again.

Skipped when Debian's redis-server is missing, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis import StrictRedis

from lookup import create_app
from lookup.extensions import search_backend, state_store
from lookup.identity import accounts
from tests.factories import small_dataset

pytestmark = pytest.mark.redis

LIMIT = 6
ROOT = Path(__file__).resolve().parents[3]
PLATE_PATH = "/api/v1/plates/DVL1234?reason=traffic_stop"


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is required in CI (scripts/system-deps.sh installs it)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until(check: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} did not come up within {timeout} s")


def redis_ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        s.sendall(b"PING\r\n")
        return s.recv(16).startswith(b"+PONG")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@dataclass
class Redis:
    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redis_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: redis_ping(self.port), "redis-server")

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[Redis]:
    directory = tmp_path / "redis"
    directory.mkdir()
    server = Redis(free_port(), directory)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def api_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A data directory with the small data set published and one agency key, shared by the
    app processes (SQLite state, so every process authenticates the same key)."""
    for name in list(os.environ):
        if name.startswith("DIPCHECK_"):
            monkeypatch.delenv(name)
    app = create_app(data_dir=tmp_path / "data", secret_key="s" * 40, TESTING=True)
    with app.app_context():
        search_backend().publish(small_dataset())
        agency = accounts.create_agency(state_store(), "Metro Police")
        _, key = accounts.create_api_key(state_store(), agency, role="officer")
        search_backend().close()
    return key


@pytest.fixture
def instances(tmp_path: Path, redis: Redis, api_key: str) -> Iterator[list[int]]:
    """Two gunicorn instances of the app, 2 workers each, limits in the test's Redis."""
    ports = [free_port(), free_port()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPCHECK_")}
    env.update(
        DIPCHECK_DATA_DIR=str(tmp_path / "data"),
        DIPCHECK_SECRET_KEY="s" * 40,
        DIPCHECK_RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{redis.port}",
        DIPCHECK_RATELIMIT_LOOKUPS=f"{LIMIT}/minute",
        GUNICORN_WORKERS="2",
        GUNICORN_LOGLEVEL="warning",
    )
    processes = []
    logs = []
    for port in ports:
        log = (tmp_path / f"gunicorn-{port}.log").open("wb")
        logs.append(log)
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")],
                cwd=ROOT,
                env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        for port, process in zip(ports, processes, strict=True):

            def up(p: int = port, proc: subprocess.Popen[bytes] = process) -> bool:
                if proc.poll() is not None:
                    text = (tmp_path / f"gunicorn-{p}.log").read_text(errors="replace")
                    raise AssertionError(f"gunicorn on {p} exited:\n{text[-2000:]}")
                return status(p, "/healthz") == 200

            wait_until(up, f"gunicorn on {port}", timeout=90)
        yield ports
    finally:
        for process in processes:
            stop(process)
        for log in logs:
            log.close()


def status(port: int, path: str, key: str | None = None) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if key is not None:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            code: int = response.status
            return code
    except urllib.error.HTTPError as error:
        return error.code


def test_the_limit_holds_across_processes_and_degrades_to_per_process_without_redis(
    instances: list[int], redis: Redis, api_key: str
) -> None:
    # Alternate between the instances: each has its own Limiter; only Redis is shared.
    statuses = [status(instances[n % 2], PLATE_PATH, api_key) for n in range(4 * LIMIT)]
    assert statuses.count(200) == LIMIT, statuses
    assert statuses.count(429) == 3 * LIMIT, statuses
    # Both instances served part of the allowance: the count really was shared.
    assert statuses[:LIMIT] == [200] * LIMIT

    redis.stop()
    # Redis is down: lookups still answer (no 5xx), each process limiting on its own.
    degraded = [status(instances[n % 2], PLATE_PATH, api_key) for n in range(4 * LIMIT)]
    assert set(degraded) <= {200, 429}, degraded
    # In memory each process counts alone: every instance allows at least LIMIT again (which
    # also shows the first phase held only because the count was shared), and each of the
    # 4 worker processes at most LIMIT.
    assert 2 * LIMIT <= degraded.count(200) <= 4 * LIMIT, degraded
    assert status(instances[0], "/healthz") == 200

    redis.start()  # an empty Redis: the shared count starts again
    # Flask-Limiter probes the dead storage with a back-off, then counts in Redis again.
    store = StrictRedis(host="127.0.0.1", port=redis.port)
    deadline = time.monotonic() + 30
    while store.dbsize() == 0 and time.monotonic() < deadline:
        status(instances[0], PLATE_PATH, api_key)
        status(instances[1], PLATE_PATH, api_key)
        time.sleep(0.5)
    assert store.dbsize() > 0, "the limiter never went back to Redis"
    store.close()
