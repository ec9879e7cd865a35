"""Operational logs: one JSON object per line, each with the request id.

These logs go to ordinary log storage, so they never hold what an officer typed (plates, ID and
licence numbers, names, phone numbers): the request line is logged by its URL *rule*
(`/api/v1/plates/<plate>`), never by its path or query string, and so are Werkzeug's
development-server access line and gunicorn's (lookup/http/gunicorn_logging.py): by the route the
app matched, never by editing the line a client sent (no pattern recognises every way to write a
plate in a URL). The audit log is the one place query values are kept.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Request, Response, g, has_request_context, request
from flask.ctx import _AppCtxGlobals

from lookup.config import Settings

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_HANDLER_NAME = "dipcheck"
# The message of every access line (one per request, logger `lookup.access`).
ACCESS_MESSAGE = "request"
# Attributes every LogRecord has; anything else was passed with `extra=` and is logged as a field.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
# What is logged instead of a path the app did not route (a 404, a malformed request).
ROUTE_NOT_LOGGED = "[unrouted path not logged]"
# The WSGI environ key where the app leaves the matched route for the server's access log.
ROUTE_ENVIRON_KEY = "dipcheck.route"
_ROUTED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The ends of Werkzeug's request and error message templates (werkzeug.serving).
_WERKZEUG_REQUEST = '"%s" %s %s'
_WERKZEUG_ERROR = "code %d, message %s"


def request_id() -> str | None:
    if not has_request_context():
        return None
    value: str | None = g.get("request_id")
    return value


# What `json.dumps(entry, default=str, ensure_ascii=True)` would build for every line: one
# encoder writes the same text without being made anew each time.
_ENCODER = json.JSONEncoder(default=str, ensure_ascii=True)
# The encoder's own writer of a string with `ensure_ascii` (the access line's fast path).
_json_string = json.encoder.encode_basestring_ascii


class _Second:
    """The date and time of day of the last whole second a line was written in (one per process:
    a thread that reads it while another replaces it sees one pair or the other)."""

    current: tuple[int, str] = (0, "1970-01-01T00:00:00")


def _timestamp(created: float) -> str:
    """`datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")`, with the date
    and time of day written once per second rather than once per line. The fraction is rounded
    to microseconds as datetime rounds it (half to even, after splitting off the whole seconds)
    before the milliseconds are cut from it."""
    fraction, whole = math.modf(created)
    micro = round(fraction * 1e6)
    second = int(whole)
    if micro >= 1_000_000:
        second, micro = second + 1, micro - 1_000_000
    elif micro < 0:
        second, micro = second - 1, micro + 1_000_000
    known = _Second.current
    if known[0] != second:
        text = datetime.fromtimestamp(second, tz=UTC).isoformat(timespec="seconds")
        known = _Second.current = (second, text.removesuffix("+00:00"))
    return f"{known[1]}.{micro // 1000:03d}+00:00"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": _timestamp(record.created),
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
        return _ENCODER.encode(entry)


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


class RouteOnlyRequestLine(logging.Filter):
    """Werkzeug's development server logs each request as `"GET /path?query HTTP/1.1" 200 -`,
    the path decoded (an encoded space or control character becomes part of it). Its request
    record is rebuilt from the route the app matched (`"GET /api/v1/plates/<plate>" 200 -`), never
    from the line; a request the app did not route shows `ROUTE_NOT_LOGGED`. Its error records
    (a malformed request line, whose text Werkzeug quotes) keep only their status code."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str):
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        template = record.msg.rstrip("\n")
        if template.endswith(_WERKZEUG_REQUEST) and len(args) == 3:
            method, route = _last_route.pop()
            record.args = (f"{method} {route}", args[1], args[2])
        elif template.endswith(_WERKZEUG_ERROR) and args:
            record.args = (args[0], "[request not logged]")
        elif record.levelno >= logging.WARNING or args:
            # Anything else Werkzeug says about a request (a traceback's text, a message with
            # arguments) may quote it.
            record.msg, record.args, record.exc_info = "request error (not logged)", None, None
        return True


class _LastRoute(threading.local):
    """The route of the request this thread served last, for Werkzeug's request line (logged
    by the serving thread after the app returned). Read once: a later request on the same
    connection that never reached the app must not show the previous one's route."""

    method: str = "-"
    route: str = ROUTE_NOT_LOGGED

    def set(self, method: str, route: str) -> None:
        self.method, self.route = method, route

    def pop(self) -> tuple[str, str]:
        found = (self.method, self.route)
        self.method, self.route = "-", ROUTE_NOT_LOGGED
        return found


_last_route = _LastRoute()


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
    if not any(isinstance(f, RouteOnlyRequestLine) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(RouteOnlyRequestLine())


def _new_request_id() -> str:
    """32 hex digits, as a UUID4's: a correlation id, not a secret, so it is drawn from the
    process's PRNG (reseeded in each forked worker) instead of a system call per request."""
    return f"{random.getrandbits(128):032x}"


def init_request_logging(app: Flask) -> None:
    access = logging.getLogger("lookup.access")

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else _new_request_id()
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        # The request and its globals looked up once: each access through Flask's proxies
        # searches the context again, and this runs on every request.
        req: Request = request._get_current_object()  # type: ignore[attr-defined]
        state: _AppCtxGlobals = g._get_current_object()
        rid = state.get("request_id")
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
        rule = req.url_rule
        route = rule.rule if rule else ROUTE_NOT_LOGGED
        method = req.method if req.method in _ROUTED_METHODS else "-"
        req.environ[ROUTE_ENVIRON_KEY] = route  # for gunicorn's access log, if enabled
        _last_route.set(method, route)  # for Werkzeug's
        started = state.get("request_started")
        if started is not None and access.isEnabledFor(logging.INFO):
            principal = state.get("_dipcheck_principal")
            log_access(
                access,
                rid,
                {
                    "method": method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "actor": getattr(principal, "actor", None),
                },
            )
        return response


def log_access(access: logging.Logger, rid: str | None, fields: dict[str, Any]) -> None:
    """The access line of the request `rid` (this request's id, as `request_id()` gives it):
    `access.info("request", extra=fields)`, in fewer steps.

    Where the line would reach only this module's own JSON handler (the production
    configuration), it is formatted as JsonFormatter formats that record and written as the
    handler writes it, without the LogRecord, the search of the call stack for the caller, and
    the walk of the logger hierarchy: those cost more than the line itself, once per request.
    Any other configuration (a test's capture handler, a filter, a console format) gets the
    record through logging, unchanged."""
    handler = _sole_json_handler(access)
    if handler is None:
        access.info(ACCESS_MESSAGE, extra=fields)
        return
    line = access_line(time.time(), access.name, rid, fields) + handler.terminator
    try:
        with handler.lock:  # type: ignore[union-attr]  # set by every Handler's constructor
            handler.stream.write(line)
            handler.flush()
    except Exception:
        # Let logging report the failure its usual way (Handler.handleError).
        access.info(ACCESS_MESSAGE, extra=fields)


def access_line(created: float, logger: str, rid: str | None, fields: dict[str, Any]) -> str:
    """The text JsonFormatter gives an INFO record of `logger` with message ACCESS_MESSAGE, made
    at `created` in the request `rid`, with `fields` as its extras: the same keys in the same
    order, each value written as the encoder writes it."""
    parts = [
        '{"ts": "',
        _timestamp(created),
        '", "level": "INFO", "logger": ',
        _json_string(logger),
        ', "msg": "' + ACCESS_MESSAGE + '"',
    ]
    if rid:
        parts += (', "request_id": ', _json_value(rid))
    for key, value in fields.items():
        parts += (", ", _json_string(key), ": ", _json_value(value))
    parts.append("}")
    return "".join(parts)


def _json_value(value: object) -> str:
    """`value` as _ENCODER writes it: the common scalars directly, anything else through it."""
    if type(value) is str:
        return _json_string(value)
    if value is None:
        return "null"
    if type(value) is int:
        return int.__repr__(value)
    if type(value) is float and math.isfinite(value):
        return float.__repr__(value)
    return _ENCODER.encode(value)


def _sole_json_handler(logger: logging.Logger) -> logging.StreamHandler[Any] | None:
    """This module's JSON stream handler when it is the only handler an INFO record of `logger`
    reaches and nothing filters that record on the way; else None."""
    if logger.disabled or logger.filters:
        return None
    found: logging.Handler | None = None
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            if found is not None:
                return None
            found = handler
        if not current.propagate:
            break
        current = current.parent
    if (
        type(found) is logging.StreamHandler
        and found.get_name() == _HANDLER_NAME
        and type(found.formatter) is JsonFormatter
        and not found.filters
        and found.level <= logging.INFO
    ):
        return found
    return None
