"""The caching headers of every JSON API route, pinned: answers, errors, exports and the audit
trail are never cached; the public immunity matrix may be cached for five minutes; the OpenAPI
document sets no Cache-Control of its own."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lookup.extensions import state_store
from lookup.identity import accounts
from tests.factories import DIPLOMAT_LICENSE, DIPLOMAT_PLATE
from tests.lookup.conftest import AgencyKeys, bearer

NO_STORE = "no-store"
INCIDENT = {
    "occurred_at": "2026-11-20T08:15:00-05:00",
    "kind": "moving_violation",
    "subject": {"license_number": DIPLOMAT_LICENSE},
    "citation_number": "VA-55123",
    "violation": "Speeding 25 over",
    "narrative": "Stopped on I-395.",
    "immunity_claimed": True,
    "location": {"latitude": 38.86, "longitude": -77.05, "description": "I-395 N"},
    "reporting_officer": {"name": "Sgt. Dana Ruiz", "badge": "4471"},
}


@pytest.fixture
def analyst(app: Flask) -> str:
    with app.app_context():
        agency = accounts.create_agency(state_store(), "Office of Foreign Missions", kind="ofm")
        _key, secret = accounts.create_api_key(state_store(), agency, role="analyst")
    return secret


def _call(client: FlaskClient, method: str, path: str, key: str | None, body: Any = None) -> Any:
    headers = bearer(key) if key else {}
    return client.open(path, method=method, json=body, headers=headers)


def test_cache_headers_of_every_api_route(
    app: Flask, client: FlaskClient, metro: AgencyKeys, analyst: str
) -> None:
    officer, supervisor = metro.officer_key, metro.supervisor_key
    filed = _call(client, "POST", "/api/v1/incidents", officer, INCIDENT)
    incident = filed.get_json()["incident_id"]
    assessment = {"decision": "points_assessed", "points": 5, "note": "x"}
    # (method, path, key, body) -> (status, Cache-Control, Content-Type)
    expected: list[tuple[str, str, str | None, Any, int, str | None, str]] = [
        (
            "GET",
            f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=crash",
            officer,
            None,
            200,
            NO_STORE,
            "application/json",
        ),
        (
            "GET",
            f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=crash&format=text",
            officer,
            None,
            200,
            NO_STORE,
            "text/plain; charset=utf-8",
        ),
        ("GET", "/api/v1/plates/X?reason=nope", officer, None, 400, NO_STORE, "application/json"),
        ("GET", "/api/v1/plates/X?reason=crash", None, None, 401, NO_STORE, "application/json"),
        (
            "GET",
            "/api/v1/plates?pattern=DVL1*&reason=crash",
            officer,
            None,
            200,
            NO_STORE,
            "application/json",
        ),
        (
            "GET",
            f"/api/v1/licenses/{DIPLOMAT_LICENSE}?reason=crash",
            officer,
            None,
            200,
            NO_STORE,
            "application/json",
        ),
        (
            "GET",
            "/api/v1/credentials/S1?reason=crash",
            officer,
            None,
            200,
            NO_STORE,
            "application/json",
        ),
        (
            "GET",
            "/api/v1/persons?name=Smith&reason=crash",
            officer,
            None,
            200,
            NO_STORE,
            "application/json",
        ),
        (
            "POST",
            "/api/v1/plates:batch",
            officer,
            {"plates": [DIPLOMAT_PLATE], "reason": "crash"},
            200,
            NO_STORE,
            "application/json",
        ),
        ("GET", "/api/v1/audit", supervisor, None, 200, NO_STORE, "application/json"),
        ("GET", "/api/v1/audit", officer, None, 403, NO_STORE, "application/json"),
        (
            "GET",
            "/api/v1/immunity-matrix",
            None,
            None,
            200,
            "public, max-age=300",
            "application/json",
        ),
        ("GET", "/api/v1/openapi.json", None, None, 200, None, "application/json"),
        ("GET", f"/api/v1/incidents/{incident}", officer, None, 200, NO_STORE, "application/json"),
        ("GET", "/api/v1/incidents", officer, None, 200, NO_STORE, "application/json"),
        (
            "GET",
            "/api/v1/incidents?format=csv",
            officer,
            None,
            200,
            NO_STORE,
            "text/csv; charset=utf-8",
        ),
        (
            "GET",
            "/api/v1/incidents/IN-00000-00000",
            officer,
            None,
            404,
            NO_STORE,
            "application/json",
        ),
        (
            "POST",
            f"/api/v1/incidents/{incident}/assessment",
            analyst,
            assessment,
            200,
            NO_STORE,
            "application/json",
        ),
        ("GET", "/api/v1/ofm/flags", analyst, None, 200, NO_STORE, "application/json"),
        (
            "GET",
            "/api/v1/ofm/insurance-compliance",
            analyst,
            None,
            200,
            NO_STORE,
            "application/json",
        ),
        (
            "GET",
            "/api/v1/ofm/insurance-compliance?format=csv",
            analyst,
            None,
            200,
            NO_STORE,
            "text/csv; charset=utf-8",
        ),
        (
            "GET",
            "/api/v1/ofm/insurance-compliance/M-NONE",
            analyst,
            None,
            404,
            NO_STORE,
            "application/json",
        ),
        (
            "GET",
            "/api/v1/ofm/exports/missions.csv",
            analyst,
            None,
            200,
            NO_STORE,
            "text/csv; charset=utf-8",
        ),
        (
            "GET",
            "/api/v1/ofm/exports/missions.geojson",
            analyst,
            None,
            200,
            NO_STORE,
            "application/geo+json",
        ),
        ("GET", "/api/v1/ofm/flags", officer, None, 403, NO_STORE, "application/json"),
        ("DELETE", "/api/v1/audit", supervisor, None, 405, NO_STORE, "application/json"),
        ("GET", "/api/v1/nothing-here", None, None, 404, NO_STORE, "application/json"),
    ]
    seen = []
    for method, path, key, body, *_ in expected:
        response = _call(client, method, path, key, body)
        seen.append(
            (
                method,
                path,
                key,
                body,
                response.status_code,
                response.headers.get("Cache-Control"),
                response.headers.get("Content-Type"),
            )
        )
        # The blueprint's own responses; a path no route matches never reaches it.
        routed = response.status_code not in (404, 405) or "incidents" in path or "ofm" in path
        sniff = response.headers.get("X-Content-Type-Options")
        assert sniff == ("nosniff" if routed else None), path
    assert seen == expected
