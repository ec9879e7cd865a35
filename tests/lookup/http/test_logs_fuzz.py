"""No part of what a client typed reaches the operational logs, however it is written: plates,
numbers, names and query values broken up by Unicode whitespace and control characters, sent
percent-encoded (`/api/v1/plates/DYF%C2%A01314`) or raw in the request line, to the development
server (Werkzeug, threaded, as `dipcheck run` serves) and to gunicorn with its access log on.

Every input is built from marker fragments (runs of J, K, Q, V, X, Z, which no log line
otherwise contains) around the separators; the test asserts no fragment appears in the log.
"""

from __future__ import annotations

import io
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.serving import BaseWSGIServer, make_server

from lookup.http.logs import JsonFormatter
from tests.lookup.conftest import AgencyKeys
from tests.lookup.live_server import gunicorn_server, prepare

# Unicode whitespace and control characters, as a client could put them in a path or query.
SEPARATORS = [chr(c) for c in (*range(0x00, 0x21), 0x7F, 0x85, 0xA0, 0x1680, 0x180E)]
SEPARATORS += [chr(c) for c in (*range(0x2000, 0x200C), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)]
SEPARATORS += ["\ufeff", "\u200d", "\u2060", "%", "/", "?", "#", "&", "=", "+", "."]
fragments = st.text(alphabet="JKQVXZ", min_size=4, max_size=8)
separators = st.text(alphabet=st.sampled_from(SEPARATORS), min_size=1, max_size=3)
TEMPLATES = [
    "/api/v1/plates/{0}?reason=traffic_stop",
    "/api/v1/plates/{0}?reason=traffic_stop&{1}={1}",
    "/api/v1/plates?pattern={0}&reason=crash",
    "/api/v1/credentials/{0}?reason=crash",
    "/api/v1/licenses/{0}?reason=crash",
    "/api/v1/persons?name={0}&date_of_birth={1}&reason=crash",
    "/lookup?q={0}&reason=traffic_stop",
    "/v/{0}",
    "/{0}/{1}",  # no route at all
]


@st.composite
def typed(draw: st.DrawFn) -> tuple[list[str], str, str]:
    """(fragments, value, second value): values of fragments joined by separators."""
    parts = draw(st.lists(fragments, min_size=2, max_size=3))
    joined = parts[0]
    for part in parts[1:]:
        joined += draw(separators) + part
    other = draw(fragments)
    return [*parts, other], joined, other


def request_line(template: str, value: str, other: str, raw: bool) -> bytes:
    if raw:  # as typed, UTF-8 bytes in the request line: often a malformed request
        target = template.format(value, other)
    else:
        target = template.format(quote(value, safe=""), quote(other, safe=""))
    return f"GET {target} HTTP/1.1\r\n".encode(errors="surrogatepass")


def send(port: int, line: bytes, key: str) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            line
            + f"Host: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        while sock.recv(65536):  # the whole answer: the server has logged the request by then
            pass


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.fixture
def dev_server(app: Flask) -> Iterator[BaseWSGIServer]:
    app.config["TESTING"] = False  # as served: errors become answers, not test exceptions
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join(timeout=10)


def assert_clean(log: str, parts: list[str]) -> None:
    for part in parts:
        assert part not in log, part
        assert part.lower() not in log.lower(), part


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=typed(), template=st.sampled_from(TEMPLATES), raw=st.booleans(), status=st.booleans())
def test_development_server_logs_no_fragment(
    dev_server: BaseWSGIServer,
    metro: AgencyKeys,
    captured: io.StringIO,
    case: tuple[list[str], str, str],
    template: str,
    raw: bool,
    status: bool,
) -> None:
    parts, value, other = case
    start = captured.tell()
    send(dev_server.port, request_line(template, value, other, raw), metro.officer_key)
    log = captured.getvalue()[start:]
    assert log, "the request was not logged at all"
    assert_clean(log, parts)


def test_an_encoded_no_break_space_in_a_plate_is_not_logged(
    dev_server: BaseWSGIServer, metro: AgencyKeys, captured: io.StringIO
) -> None:
    """The outside audit's reproduction."""
    line = b"GET /api/v1/plates/DYF%C2%A01314?reason=traffic_stop HTTP/1.1\r\n"
    send(dev_server.port, line, metro.officer_key)
    log = captured.getvalue()
    assert "DYF" not in log
    assert "1314" not in log
    assert '\\"GET /api/v1/plates/<plate>\\" 200' in log  # JSON-escaped quotes


def test_gunicorn_with_its_access_log_on_logs_routes_only(tmp_path: Path) -> None:
    prepared = prepare(tmp_path / "data")
    config = Path(__file__).resolve().parents[3] / "gunicorn.conf.py"
    lines = [
        b"GET /api/v1/plates/DYF%C2%A0QXZK?reason=traffic_stop HTTP/1.1\r\n",
        b"GET /api/v1/plates/DYF\xc2\xa0QXZK?reason=traffic_stop HTTP/1.1\r\n",
        b"GET /api/v1/plates/DYF QXZK?reason=traffic_stop HTTP/1.1\r\n",  # malformed
        b"GET /api/v1/persons?name=JQVX%00KZZQ&reason=crash HTTP/1.1\r\n",
        b"GET /JQVXKZZQ/%0AKQVZ HTTP/1.1\r\n",
        b"GET /api/v1/plates/\x01JQXV HTTP/1.1\r\n",
    ]
    with gunicorn_server(
        prepared.env,
        workers=1,
        work=tmp_path,
        extra=("--config", str(config), "--access-logfile", "-", "--log-level", "debug"),
    ) as base:
        port = int(base.rsplit(":", 1)[1])
        for line in lines:
            send(port, line, prepared.officer_key)
    log = (tmp_path / "server.log").read_text(encoding="utf-8", errors="replace")
    assert '"GET /api/v1/plates/<plate> HTTP/1.1" 200' in log
    assert "Invalid request from ip=127.0.0.1 (request not logged)" in log
    assert_clean(log, ["DYF", "QXZK", "JQVX", "KZZQ", "KQVZ", "JQXV"])
