"""An audit-store failure is an alert: logged at ERROR, counted on /readyz, and handed to the
operator's hook (a command given the event on stdin, a webhook), rate-limited, never blocking
the request, and never carrying what was looked up."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from lookup.config import ConfigError, load_settings
from lookup.extensions import services
from lookup.store.base import AuditRecord, StoreUnavailable
from tests.factories import DIPLOMAT_PLATE
from tests.lookup.conftest import AppFactory, agency_with_keys, bearer

PLATE_URL = f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=traffic_stop"
# The hook: appends its standard input, one event per line, to the file named by its argument.
HOOK = (
    "import sys\nwith open(sys.argv[1], 'ab') as out: out.write(sys.stdin.buffer.read() + b'\\n')\n"
)


def wait_for(condition: Any, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def break_audit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(record: AuditRecord) -> None:
        raise StoreUnavailable("audit write failed: disk I/O error")

    monkeypatch.setattr(services_of(app).store, "append_audit", refuse)


def services_of(app: Flask) -> Any:
    with app.app_context():
        return services()


@pytest.fixture
def hook(tmp_path: Path) -> tuple[str, Path]:
    script = tmp_path / "hook.py"
    script.write_text(HOOK, encoding="utf-8")
    events = tmp_path / "events with space.jsonl"
    return f"{sys.executable} {script} '{events}'", events


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/alert", received
    server.shutdown()
    thread.join(timeout=10)


def test_audit_failure_runs_the_hook_counts_and_logs_at_error(
    make_app: AppFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    hook: tuple[str, Path],
    webhook: tuple[str, list[dict[str, Any]]],
) -> None:
    command, events = hook
    url, posted = webhook
    app = make_app(alert_command=command, alert_webhook_url=url, alert_interval_seconds=3600)
    keys = agency_with_keys(app, "Metro Police")
    client = app.test_client()
    assert client.get("/readyz").get_json()["state_store"]["audit_failures"] == 0
    break_audit(app, monkeypatch)
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            assert client.get(PLATE_URL, headers=bearer(keys.officer_key)).status_code == 503
    ready = client.get("/readyz").get_json()
    assert ready["state_store"]["audit_failures"] == 3
    errors = [r for r in caplog.records if r.message == "audit store unavailable: request refused"]
    assert [r.levelno for r in errors] == [logging.ERROR] * 3
    assert [getattr(r, "channel", None) for r in errors] == ["api"] * 3

    wait_for(lambda: events.exists() and posted)
    time.sleep(0.3)  # a second (rate-limited) event would have arrived by now
    (line,) = events.read_text(encoding="utf-8").splitlines()
    event = json.loads(line)
    assert event["event"] == "audit_unavailable"
    assert event["channel"] == "api"
    assert event["action"] == "plate"
    assert event["failures"] == 1
    assert posted == [event]
    assert DIPLOMAT_PLATE not in line
    assert DIPLOMAT_PLATE not in caplog.text


def test_a_due_event_counts_the_failures_it_stands_for(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch, hook: tuple[str, Path]
) -> None:
    command, events = hook
    app = make_app(alert_command=command, alert_interval_seconds=0)
    keys = agency_with_keys(app, "Metro Police")
    break_audit(app, monkeypatch)
    client = app.test_client()
    for _ in range(2):
        assert client.get(PLATE_URL, headers=bearer(keys.officer_key)).status_code == 503
    wait_for(lambda: events.exists() and len(events.read_text().splitlines()) == 2)
    totals = sorted(json.loads(x)["failures_since_start"] for x in events.read_text().splitlines())
    assert totals == [1, 2]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("/no/such/pager --now", "DIPCHECK_ALERT_COMMAND: '/no/such/pager' is not an executable"),
        ("notify 'unclosed", "DIPCHECK_ALERT_COMMAND: cannot be split into arguments"),
    ],
)
def test_a_bad_alert_command_stops_start_up(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(alert_command=value)


def test_the_alert_webhook_must_be_a_url() -> None:
    with pytest.raises(ConfigError, match="DIPCHECK_ALERT_WEBHOOK_URL: must be an http"):
        load_settings(alert_webhook_url="pager.internal/alert")
