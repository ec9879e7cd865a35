"""Audit-store failures are alerts: a lookup refused because its audit record could not be written
means officers at the roadside get "cannot verify now" until someone acts (CJIS AU-5).

Each failure is logged at ERROR, counted (`/readyz` shows `state_store.audit_failures`, this
process's count since it started) and handed to the operator's alert hook:

- `DIPCHECK_ALERT_COMMAND`: a program and its arguments (split like a shell would, but run
  without one), given the event as one JSON object on standard input;
- `DIPCHECK_ALERT_WEBHOOK_URL`: the same JSON POSTed there.

The hook runs in a background thread, so a slow pager never holds a request, and at most once per
`DIPCHECK_ALERT_INTERVAL_SECONDS` per process; an event says how many failures it stands for.
Events carry no query value (no plate, number or name): channel, action, error type, counts.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app

from lookup.config import Settings

log = logging.getLogger(__name__)
EXTENSION_KEY = "dipcheck.alerts"
HOOK_TIMEOUT_SECONDS = 30


@dataclass
class AuditAlarm:
    """One app's count of audit failures and its alert hook (see the module docstring)."""

    command: tuple[str, ...] | None
    webhook_url: str | None
    interval_seconds: float
    failures: int = 0
    _unreported: int = 0
    _last_sent: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def audit_failed(self, *, channel: str, action: str, error: BaseException) -> None:
        with self._lock:
            self.failures += 1
            self._unreported += 1
            now = time.monotonic()
            due = self._last_sent is None or now - self._last_sent >= self.interval_seconds
            if due:
                self._last_sent = now
                represented, self._unreported = self._unreported, 0
            total = self.failures
        log.error(
            "audit store unavailable: request refused",
            extra={
                "channel": channel,
                "action": action,
                "error_type": type(error).__name__,
                "audit_failures": total,
            },
        )
        if not due or (self.command is None and self.webhook_url is None):
            return
        event = {
            "event": "audit_unavailable",
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "host": socket.gethostname(),
            "channel": channel,
            "action": action,
            "error_type": type(error).__name__,
            "failures": represented,  # since the previous event of this process
            "failures_since_start": total,
        }
        threading.Thread(target=self._send, args=(event,), daemon=True).start()

    def _send(self, event: dict[str, Any]) -> None:
        payload = json.dumps(event).encode()
        if self.command is not None:
            try:
                subprocess.run(  # noqa: S603 - the operator's own command, no shell
                    self.command,
                    input=payload,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=HOOK_TIMEOUT_SECONDS,
                    check=True,
                )
            except (OSError, subprocess.SubprocessError) as error:
                log.error("alert command failed", extra={"error_type": type(error).__name__})
        if self.webhook_url is not None:
            request = urllib.request.Request(  # noqa: S310 - an http(s) URL, checked at start-up
                self.webhook_url,
                data=payload,
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=HOOK_TIMEOUT_SECONDS):  # noqa: S310
                    pass
            except OSError as error:
                log.error("alert webhook failed", extra={"error_type": type(error).__name__})


def init_alerts(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION_KEY] = AuditAlarm(
        command=settings.alert_argv(),
        webhook_url=settings.alert_webhook_url,
        interval_seconds=settings.alert_interval_seconds,
    )


def alarm() -> AuditAlarm:
    found: AuditAlarm = current_app.extensions[EXTENSION_KEY]
    return found
