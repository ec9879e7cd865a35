"""Operational logs: one JSON object per line, each with the request id.

These logs go to ordinary log storage, so they never hold what an officer typed (plates, ID and
licence numbers, names, phone numbers): the request line is logged by its URL *rule*
(`/api/v1/plates/<plate>`), never by its path or query string, and Werkzeug's development-server
access line is rewritten the same way. The audit log is the one place query values are kept.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

from lookup.config import Settings

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_HANDLER_NAME = "dipcheck"
# Attributes every LogRecord has; anything else was passed with `extra=` and is logged as a field.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
# The request line inside Werkzeug's access message, which may be wrapped in colour escapes.
_REQUEST_LINE = re.compile(r"(?<![A-Z])([A-Z]{3,7}) (/\S*|\*) (HTTP/[0-9.]+)")


def request_id() -> str | None:
    if not has_request_context():
        return None
    value: str | None = g.get("request_id")
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id()
        if rid:
            entry["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and key != "request_id":
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            # The type only: a traceback's message may hold what the officer typed.
            entry["error_type"] = record.exc_info[0].__name__
        return json.dumps(entry, default=str, ensure_ascii=True)


class ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(
            f"{key}={value}" for key, value in vars(record).items() if key not in _STANDARD
        )
        rid = request_id()
        prefix = f"{record.levelname:<7} {record.name}"
        if rid:
            prefix += f" [{rid}]"
        return f"{prefix}: {record.getMessage()} {extras}".rstrip()


class RedactRequestLine(logging.Filter):
    """Werkzeug's development server logs `"GET /api/v1/plates/CD1234?reason=... HTTP/1.1"`;
    keep the method and protocol, drop the path."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _REQUEST_LINE.search(message):
            record.msg = _REQUEST_LINE.sub(r"\1 [path not logged] \3", message)
            record.args = None
        return True


def configure_logging(settings: Settings) -> None:
    """Install the formatter on the root logger once per process (idempotent)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.get_name() == _HANDLER_NAME), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(_HANDLER_NAME)
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else ConsoleFormatter())
    root.setLevel(settings.log_level)
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactRequestLine) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(RedactRequestLine())


def init_request_logging(app: Flask) -> None:
    access = logging.getLogger("lookup.access")

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        rid = g.get("request_id")
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
        started = g.get("request_started")
        if started is not None and access.isEnabledFor(logging.INFO):
            principal = g.get("_dipcheck_principal")
            access.info(
                "request",
                extra={
                    "method": request.method,
                    "route": request.url_rule.rule if request.url_rule else None,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "actor": getattr(principal, "actor", None),
                },
            )
        return response
