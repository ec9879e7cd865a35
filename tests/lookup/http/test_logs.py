"""Operational logs never hold what an officer typed: plates, ID and licence numbers, names,
dates of birth. Every log line carries the request id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import example, given
from hypothesis import strategies as st

from lookup.http.logs import (
    ACCESS_MESSAGE,
    JsonFormatter,
    RouteOnlyRequestLine,
    _timestamp,
    access_line,
    log_access,
)
from tests.factories import DIPLOMAT_CREDENTIAL, DIPLOMAT_LICENSE, DIPLOMAT_PLATE
from tests.lookup.conftest import AgencyKeys, AppFactory, agency_with_keys, bearer

QUERIED = [
    DIPLOMAT_PLATE,
    "DVL12",
    DIPLOMAT_CREDENTIAL,
    DIPLOMAT_LICENSE,
    "Ostrander",
    "Mirela",
    "1975-04-12",
    "Valdoria",
    "QX77Q",
    "ZZ999999",
]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged at any level, formatted as production formats it."""
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


def test_lookups_of_every_kind_leave_no_queried_value_in_the_logs(
    make_app: AppFactory, captured: io.StringIO
) -> None:
    app = make_app(ratelimit_lookups="12/minute")
    keys: AgencyKeys = agency_with_keys(app, "Metro Police")
    client: FlaskClient = app.test_client()
    urls = [
        f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=traffic_stop",
        "/api/v1/plates/QX77Q?reason=traffic_stop",
        "/api/v1/plates?pattern=DVL12*&reason=crash",
        f"/api/v1/credentials/{DIPLOMAT_CREDENTIAL}?reason=crash",
        "/api/v1/credentials/ZZ999999?reason=crash",
        f"/api/v1/licenses/{DIPLOMAT_LICENSE}?reason=crash",
        "/api/v1/persons?name=Mirela%20Ostrander&date_of_birth=1975-04-12&country=Valdoria"
        "&reason=crash",
        f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=curiosity",  # 400
        "/api/v1/persons?name=Ostrander&date_of_birth=1975-04-99&reason=crash",  # 400
    ]
    for url in urls:
        client.get(url, headers=bearer(keys.officer_key))
    client.get(f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=crash")  # 401
    for _ in range(5):  # into the rate limit (429)
        client.get(
            f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=crash", headers=bearer(keys.officer_key)
        )

    output = captured.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    assert len([line for line in lines if line["logger"] == "lookup.access"]) >= len(urls) + 6
    assert {line["status"] for line in lines if line["logger"] == "lookup.access"} >= {
        200,
        400,
        401,
        429,
    }
    assert all("request_id" in line for line in lines if line["logger"] == "lookup.access")
    folded = output.casefold()
    for value in QUERIED:
        assert value.casefold() not in folded, value


def test_request_id_is_taken_from_the_client_or_made_and_echoed(
    client: FlaskClient, captured: io.StringIO
) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": "cad-incident-00042"})
    assert response.headers["X-Request-Id"] == "cad-incident-00042"
    assert '"request_id": "cad-incident-00042"' in captured.getvalue()
    made = client.get("/healthz", headers={"X-Request-Id": "bad id; with spaces"})
    assert made.headers["X-Request-Id"] != "bad id; with spaces"
    assert len(made.headers["X-Request-Id"]) == 32


@pytest.mark.parametrize(
    "line",
    [
        "GET /api/v1/plates/DVL1234?reason=crash HTTP/1.1",
        # Werkzeug colours the line of an error answer.
        "\x1b[31m\x1b[1mGET /api/v1/plates/DVL1234?reason=crash HTTP/1.1\x1b[0m",
    ],
)
def test_development_server_request_line_of_an_unrouted_request_loses_its_path(line: str) -> None:
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '127.0.0.1 - - [24/Nov/2026 06:00:00] "%s" %s %s',
        (line, "401", "-"),
        None,
    )
    assert RouteOnlyRequestLine().filter(record)
    message = record.getMessage()
    assert "DVL1234" not in message
    assert "reason" not in message
    assert message.endswith(" 401 -")


ACCESS_KEYS = [
    "ts",
    "level",
    "logger",
    "msg",
    "request_id",
    "method",
    "route",
    "status",
    "duration_ms",
    "actor",
]


@pytest.mark.parametrize(
    "fields",
    [
        {"method": "GET", "route": "/api/v1/plates/<plate>", "status": 200, "duration_ms": 1.5},
        {"actor": "officer:Zoë Łukasz-Ørsted 北京 \U0001f693", "status": 404, "duration_ms": 0.0},
        {"actor": 'say "hi"\\ back\\slash\n\t\x00\x1f\x7f', "route": '/a/"<b>"'},
        {"actor": None, "status": True, "duration_ms": float("nan"), "extra": float("inf")},
        {"status": 2**70, "duration_ms": -1e-300, "when": datetime(2026, 1, 2, tzinfo=UTC)},
        {"nested": {"k": ["é", None, 1.25]}, "\u00e9 key": "value"},
    ],
)
@pytest.mark.parametrize("rid", [None, "", "cad-incident-00042"])
def test_access_line_is_the_line_the_json_formatter_writes(
    fields: dict[str, Any], rid: str | None
) -> None:
    access = logging.getLogger("lookup.access")
    record = access.makeRecord(
        access.name, logging.INFO, __file__, 1, ACCESS_MESSAGE, (), None, extra=fields
    )
    record.created = 1_796_000_000.4567
    if rid is not None:
        record.request_id = rid
    assert access_line(record.created, access.name, rid, fields) == JsonFormatter().format(record)


def _production_handler() -> logging.StreamHandler[Any]:
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "dipcheck")
    assert isinstance(handler, logging.StreamHandler)
    return handler


def test_access_line_in_production_is_written_directly_with_the_records_keys(
    client: FlaskClient, captured: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the app's JSON handler alone on the root logger (production), the line skips the
    LogRecord but has the keys, in the order, of the line logging writes for a capture handler."""
    client.get("/healthz", headers={"X-Request-Id": "cad-incident-00042"})
    through_logging = [json.loads(line) for line in captured.getvalue().splitlines()]
    handler = _production_handler()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    monkeypatch.setattr(logging.getLogger(), "handlers", [handler])
    monkeypatch.setattr(handler, "formatter", JsonFormatter())

    def refused(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the access line went through logging")

    monkeypatch.setattr(logging.getLogger("lookup.access"), "info", refused)
    try:
        client.get("/healthz", headers={"X-Request-Id": "cad-incident-00042"})
    finally:
        handler.setStream(previous)
    direct = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [list(line) for line in direct] == [list(line) for line in through_logging]
    assert [list(line) for line in direct] == [ACCESS_KEYS]
    assert direct[0]["request_id"] == "cad-incident-00042"
    assert direct[0]["route"] == "/healthz"


def test_access_line_with_another_handler_goes_through_logging(
    captured: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, Any]] = []
    access = logging.getLogger("lookup.access")
    monkeypatch.setattr(access, "info", lambda _msg, extra: seen.append(extra))
    log_access(access, None, {"status": 200})
    assert seen == [{"status": 200}]
    assert captured.getvalue() == ""


@given(st.floats(min_value=-2e9, max_value=4e9))
@example(1_796_000_000.9999995)  # rounds up into the next second
@example(1_796_000_000.9995)
@example(1_796_000_001.0000005)
@example(-1_796_000_000.9999995)
@example(0.0)
def test_timestamp_is_what_datetime_writes(created: float) -> None:
    expected = datetime.fromtimestamp(created, tz=UTC).isoformat(timespec="milliseconds")
    assert _timestamp(created) == expected
