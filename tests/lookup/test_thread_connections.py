"""The development server (`dipcheck run`: Werkzeug, a thread per request) does not accumulate
open files: each finished request thread's SQLite connections (the search index's and the state
store's) are closed when the thread ends, not whenever the cyclic garbage collector next runs
(a connection and its statement cache refer to each other, so dropping one does not free it)."""

from __future__ import annotations

import gc
import os
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.factories import DIPLOMAT_PLATE
from tests.lookup.conftest import AgencyKeys

REQUESTS = 150


def open_files(directory: Path) -> int:
    """This process's descriptors of files in `directory` (the SQLite files; Werkzeug leaves
    collectable garbage of its own, an unclosed selector per request, which is not counted)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        count += target.startswith(f"{directory}/")
    return count


@pytest.fixture
def no_cyclic_gc() -> Iterator[None]:
    """As between two of the collector's rare full passes on a busy server."""
    gc.collect()
    gc.disable()
    yield
    gc.enable()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to count open files")
def test_finished_request_threads_leave_no_open_connections(
    app: Flask, metro: AgencyKeys, data_dir: Path, no_cyclic_gc: None
) -> None:
    directory = data_dir.resolve()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    url = f"http://127.0.0.1:{server.port}/api/v1/plates/{DIPLOMAT_PLATE}?reason=traffic_stop"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {metro.officer_key}"})

    def lookup() -> None:
        with urllib.request.urlopen(request, timeout=30) as answer:  # a new connection: a thread
            assert answer.status == 200

    try:
        for _ in range(10):  # warm up: this process's shared files are open
            lookup()
        before = open_files(directory)
        for _ in range(REQUESTS):
            lookup()
        after = open_files(directory)
    finally:
        server.shutdown()
        serving.join(timeout=10)
    # Each leaked thread keeps an index and an audit connection open (and their -wal/-shm).
    assert before > 0
    assert after - before < 10, (before, after)
