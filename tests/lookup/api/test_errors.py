"""Every error status of DESIGN.md answers `{"error": {"code", "message"}}`, never a 5xx for bad
input and never an empty "no record" when the index is down."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lookup.answers import build as answers
from lookup.audit.records import records
from lookup.extensions import EXTENSION_KEY, Services
from lookup.store.base import AuditFilter, AuditRecord, StoreUnavailable
from search_index.backend import BackendUnavailable, Snapshot
from tests.factories import DIPLOMAT_PLATE
from tests.lookup.conftest import AgencyKeys, AppFactory, agency_with_keys, bearer

PLATE_URL = f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=traffic_stop"


def services(app: Flask) -> Services:
    found: Services = app.extensions[EXTENSION_KEY]
    return found


def audit_of(app: Flask, agency_id: str) -> list[AuditRecord]:
    with app.app_context():
        return list(records(AuditFilter(agency_id=agency_id)))


def error_of(response: Any) -> dict[str, Any]:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"])
    error: dict[str, Any] = body["error"]
    return error


@pytest.mark.parametrize(
    ("url", "field", "code"),
    [
        (f"/api/v1/plates/{DIPLOMAT_PLATE}", "reason", "missing_parameter"),
        (f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=curiosity", "reason", "invalid_parameter"),
        (f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=", "reason", "invalid_parameter"),
        ("/api/v1/plates/D%21%21%21?reason=crash", "plate", "invalid_parameter"),
        ("/api/v1/plates/ABCDEFGHJK?reason=crash", "plate", "invalid_parameter"),
        ("/api/v1/plates?reason=crash", "pattern", "missing_parameter"),
        ("/api/v1/plates?pattern=D*&reason=crash", "pattern", "invalid_parameter"),
        ("/api/v1/credentials/%20%20?reason=crash", "number", "invalid_parameter"),
        ("/api/v1/licenses/A%24B?reason=crash", "number", "invalid_parameter"),
        ("/api/v1/persons?reason=crash", "name", "missing_parameter"),
        ("/api/v1/persons?name=%21%21&reason=crash", "name", "invalid_parameter"),
        ("/api/v1/persons?name=" + "a" * 201 + "&reason=crash", "name", "invalid_parameter"),
        ("/api/v1/persons?name=Ann&date_of_birth=1975-13-01&reason=crash", "date_of_birth", None),
        (
            f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=crash&reason=other",
            "reason",
            "invalid_parameter",
        ),
    ],
)
def test_bad_input_is_400_naming_the_field(
    app: Flask, client: FlaskClient, metro: AgencyKeys, url: str, field: str, code: str | None
) -> None:
    response = client.get(url, headers=bearer(metro.officer_key))
    assert response.status_code == 400
    error = error_of(response)
    assert error["field"] == field
    assert field in error["message"]
    if code:
        assert error["code"] == code
    # A refused lookup is still an audited attempt.
    [entry] = audit_of(app, metro.agency.id)
    assert entry.outcome == "denied"


def test_credentials_are_checked_before_input(client: FlaskClient) -> None:
    response = client.get("/api/v1/plates/!!!")
    assert response.status_code == 401
    assert error_of(response)["code"] == "missing_credentials"


def test_officer_key_cannot_read_audit(client: FlaskClient, metro: AgencyKeys) -> None:
    response = client.get("/api/v1/audit", headers=bearer(metro.officer_key))
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


@pytest.mark.parametrize("url", ["/api/v1/nothing", "/api/v2/plates/X", "/nothing"])
def test_unknown_route_is_json_404(client: FlaskClient, url: str) -> None:
    response = client.get(url, headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_wrong_method_is_405_with_allow(client: FlaskClient, metro: AgencyKeys) -> None:
    response = client.post(PLATE_URL, headers=bearer(metro.officer_key))
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_oversized_body_is_413(make_app: AppFactory, metro: AgencyKeys) -> None:
    client = make_app(max_request_bytes=2048).test_client()
    response = client.get(
        PLATE_URL,
        headers=bearer(metro.officer_key) | {"Content-Type": "application/octet-stream"},
        data=b"x" * 4096,
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"


def test_oversized_query_value_is_400_naming_it(client: FlaskClient, metro: AgencyKeys) -> None:
    response = client.get(PLATE_URL + "&pad=" + "x" * 5000, headers=bearer(metro.officer_key))
    assert response.status_code == 400
    assert error_of(response)["field"] == "pad"
    name = client.get(
        "/api/v1/persons?reason=crash&name=" + "a" * 5000, headers=bearer(metro.officer_key)
    )
    assert name.status_code == 400
    assert error_of(name)["field"] == "name"
    with client.application.app_context():
        [refused] = [e for e in records(AuditFilter()) if e.action == "person"]
    assert (refused.outcome, refused.detail["field"]) == ("denied", "name")
    assert len(refused.query) <= 256


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("name=Ostrander&date_of_birth=0", "date_of_birth"),  # not 1970-01-01
        ("name=Ostrander&date_of_birth=19750101", "date_of_birth"),
        ("name=Ostrander&date_of_birth=1975-W01-1", "date_of_birth"),
        ("name=Ostrander&date_of_birth=1975-02-30", "date_of_birth"),
        ("name=Ostr%01ander", "name"),
        ("name=Ostrander%0A", "name"),
        ("name=Ostrander&country=Valdoria%7F", "country"),
    ],
)
def test_person_query_input_is_refused_naming_the_field(
    client: FlaskClient, metro: AgencyKeys, query: str, field: str
) -> None:
    response = client.get(
        f"/api/v1/persons?reason=crash&{query}", headers=bearer(metro.officer_key)
    )
    assert response.status_code == 400
    assert error_of(response)["field"] == field


def test_an_iso_date_of_birth_is_still_accepted(client: FlaskClient, metro: AgencyKeys) -> None:
    response = client.get(
        "/api/v1/persons?reason=crash&name=Ostrander&date_of_birth=1975-04-12",
        headers=bearer(metro.officer_key),
    )
    assert response.status_code == 200
    assert response.get_json()["query"]["date_of_birth"] == "1975-04-12"


def _raise_unavailable() -> AbstractContextManager[Snapshot]:
    raise BackendUnavailable("connection refused")


@pytest.mark.parametrize(
    "url",
    [
        PLATE_URL,
        "/api/v1/plates?pattern=DVL12*&reason=crash",
        "/api/v1/credentials/DA123456?reason=crash",
        "/api/v1/licenses/OFM100200?reason=crash",
        "/api/v1/persons?name=Ostrander&reason=crash",
    ],
)
def test_index_down_is_503_cannot_verify_and_audited_as_error(
    app: Flask,
    client: FlaskClient,
    metro: AgencyKeys,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
) -> None:
    monkeypatch.setattr(services(app).backend, "snapshot", _raise_unavailable)
    response = client.get(url, headers=bearer(metro.officer_key))
    assert response.status_code == 503
    error = error_of(response)
    assert error["code"] == "cannot_verify"
    assert "cannot verify now, call (571) 345-3146" in error["message"]
    assert response.headers["Retry-After"]
    [entry] = audit_of(app, metro.agency.id)
    assert (entry.outcome, entry.reference) == ("error", error["reference"])


def test_nothing_published_is_503_not_an_empty_answer(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app(publish=False, data_dir=tmp_path / "empty")
    keys = agency_with_keys(app, "Fresh Install PD")
    response = app.test_client().get(PLATE_URL, headers=bearer(keys.officer_key))
    assert response.status_code == 503
    assert error_of(response)["code"] == "cannot_verify"
    [entry] = audit_of(app, keys.agency.id)
    assert entry.outcome == "error"
    assert entry.detail["error"] == "no_data_published"


def test_audit_failure_refuses_the_lookup(
    app: Flask,
    client: FlaskClient,
    metro: AgencyKeys,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(record: AuditRecord) -> None:
        raise StoreUnavailable("disk full")

    with app.app_context():
        store = services(app).ensured_store()
    monkeypatch.setattr(store, "append_audit", broken)
    response = client.get(PLATE_URL, headers=bearer(metro.officer_key))
    assert response.status_code == 503
    error = error_of(response)
    assert error["code"] == "audit_unavailable"
    assert DIPLOMAT_PLATE not in response.get_data(as_text=True)
    # Operators hear of it (without the query), and refusals are logged too.
    assert any(
        r.levelname == "ERROR" and "audit store unavailable" in r.getMessage()
        for r in caplog.records
    )
    client.get(PLATE_URL)  # no credentials: a refusal whose record cannot be written either
    assert sum("went unrecorded" in r.getMessage() for r in caplog.records) == 1
    assert DIPLOMAT_PLATE not in caplog.text


def test_unexpected_failure_is_json_500_audited_and_logged_without_the_query(
    app: Flask,
    client: FlaskClient,
    metro: AgencyKeys,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: Any) -> Iterator[Any]:
        raise ValueError(f"cannot render {DIPLOMAT_PLATE}")

    monkeypatch.setattr(answers, "plate_matches_json", broken)
    response = client.get(PLATE_URL, headers=bearer(metro.officer_key))
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "internal_error"
    assert "(571) 345-3146" in error["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    [entry] = audit_of(app, metro.agency.id)
    assert entry.outcome == "error"
    logged = "\n".join(r.getMessage() + repr(r.__dict__) for r in caplog.records)
    assert "ValueError" in logged
    assert DIPLOMAT_PLATE not in logged


def test_a_browser_outside_the_api_gets_a_plain_page_not_json(app: Flask) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError(f"while reading {DIPLOMAT_PLATE}")

    client = app.test_client()
    html = {"Accept": "text/html"}
    missing = client.get("/no-such-page", headers=html)
    assert missing.status_code == 404
    assert missing.mimetype == "text/html"
    failed = client.get("/boom", headers=html)
    assert failed.status_code == 500
    assert failed.mimetype == "text/html"
    text = failed.get_data(as_text=True)
    assert "(571) 345-3146" in text
    assert DIPLOMAT_PLATE not in text
    assert "Traceback" not in text
