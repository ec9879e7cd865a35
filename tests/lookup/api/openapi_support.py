"""Helpers for tests that hold answers against the published OpenAPI document: the document,
its operations by id, a request built from an operation's example, the JSON-schema check of an
answer, and the shape of an answer (keys and value types, not values).

`python -m tests.lookup.api.openapi_support` rewrites lookup/api/openapi_examples.json from live
answers on the synthetic test set (tests/factories.py): run it when an answer's shape changes.
Examples run with a police supervisor's key, except the OFM analyst operations (ANALYST_OPERATIONS),
which run with an analyst's key of an `ofm` agency.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from werkzeug.test import TestResponse

from lookup.api.openapi_document import json_media
from lookup.qr.key_ring import keystore

Document = dict[str, Any]
EXAMPLES_FILE = Path(__file__).parents[3] / "lookup" / "api" / "openapi_examples.json"

# The officer a CAD system names behind its agency key.
OFFICER = {"X-On-Behalf-Of": "badge 4471"}
INCIDENT_REPORT = {
    "occurred_at": "2026-11-20T08:15:00-05:00",
    "kind": "moving_violation",
    "subject": {"license_number": "OFM100200"},
    "citation_number": "VA-55123",
    "violation": "Speeding 25 over",
    "narrative": "Stopped on I-395; the driver showed an OFM licence.",
    "immunity_claimed": True,
    "location": {"latitude": 38.86, "longitude": -77.05, "description": "I-395 N"},
    "reporting_officer": {"name": "Sgt. Dana Ruiz", "badge": "4471"},
}
# operationId -> (summary, request parameters, request body). Lookups run before the audit read
# so that it has records to show; the report is filed before it is read, listed and assessed.
EXAMPLE_REQUESTS: dict[str, tuple[str, dict[str, str], Any]] = {
    "getPlate": (
        "A diplomat's car",
        {"plate": "DVL1234", "reason": "traffic_stop", **OFFICER},
        None,
    ),
    "searchPlates": (
        "A partial plate",
        {"pattern": "DVL12*", "reason": "traffic_stop", **OFFICER},
        None,
    ),
    "lookupPlatesBatch": (
        "Two plates from a plate reader: one on record, one not",
        dict(OFFICER),
        {"plates": ["DVL1234", "ZZZ9999"], "reason": "traffic_stop"},
    ),
    "getCredential": (
        "A diplomat's ID card",
        {"number": "DA123456", "reason": "crash", **OFFICER},
        None,
    ),
    "getLicense": (
        "A diplomat's licence",
        {"number": "OFM100200", "reason": "crash", **OFFICER},
        None,
    ),
    "searchPersons": (
        "A name search",
        {"name": "Ostrander", "reason": "investigation", **OFFICER},
        None,
    ),
    "getReceipt": ("The receipt of the plate lookup", {"reference": "from getPlate"}, None),
    "listAuditRecords": ("The newest two records", {"limit": "2"}, None),
    "fileIncident": ("A report of a traffic stop, by licence", {}, INCIDENT_REPORT),
    "getIncident": ("The report just filed", {"incident_id": "from fileIncident"}, None),
    "listIncidents": ("The agency's reports still awaiting OFM", {"status": "submitted"}, None),
    "assessIncident": (
        "OFM assesses points (an analyst's key)",
        {"incident_id": "from fileIncident"},
        {"decision": "points_assessed", "points": 3, "note": "Speeding 25 over, first report."},
    ),
    "getInsuranceCompliance": ("Every mission's fleet by insurance status, as of today", {}, None),
    "getMissionInsuranceCompliance": (
        "One mission's vehicles to fix",
        {"mission_id": "M-VAL"},
        None,
    ),
    "getOfmReviewFlags": ("What OFM reviews, as of today", {}, None),
    "getOfmExport": ("Missions for a GIS tool", {"name": "missions.geojson"}, None),
    "getImmunityMatrix": ("The action matrix", {}, None),
    "getHealth": ("Alive", {}, None),
    "getReadiness": ("Ready", {}, None),
    "getOpenApiDocument": ("An excerpt: this document's first fields", {}, None),
}
# A parameter given as "from <operationId>" takes its value from the field of the same name in
# that example's answer (a lookup's `reference`, a report's `incident_id`).
FROM = "from "
# Operations only an OFM analyst may call (DESIGN.md "Incidents and OFM review").
ANALYST_OPERATIONS = frozenset(
    {
        "assessIncident",
        "getInsuranceCompliance",
        "getMissionInsuranceCompliance",
        "getOfmReviewFlags",
        "getOfmExport",
    }
)
# The status of a successful answer where it is not 200.
SUCCESS_STATUS = {"fileIncident": 201}
LONGEST_STRING = 300
# Operations whose stored example is an excerpt of the answer (only these keys).
EXCERPTS = {"getOpenApiDocument": ("openapi", "info")}


def fetch_document(client: FlaskClient) -> Document:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document: Document = response.get_json()
    return document


def operations(document: Document) -> dict[str, tuple[str, str, Document]]:
    """operationId -> (method, path, operation)."""
    found: dict[str, tuple[str, str, Document]] = {}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            found[operation["operationId"]] = (method, path, operation)
    return found


def call_example(
    client: FlaskClient,
    document: Document,
    operation_id: str,
    parameters: dict[str, str],
    body: Any,
    headers: dict[str, str],
) -> TestResponse:
    """The request an operation's example describes: path parameters into the path, the rest
    into the query string, headers into the headers, the body as JSON."""
    method, path, operation = operations(document)[operation_id]
    query: dict[str, str] = {}
    headers = dict(headers)
    for parameter in operation["parameters"]:
        name = parameter.get("name")
        if name not in parameters:
            continue
        if parameter["in"] == "path":
            path = path.replace("{" + name + "}", quote(parameters[name], safe=""))
        elif parameter["in"] == "header":
            headers[name] = parameters[name]
        else:
            query[name] = parameters[name]
    return client.open(path, method=method.upper(), query_string=query, json=body, headers=headers)


def response_schema(document: Document, operation_id: str, status: int) -> Document:
    _method, _path, operation = operations(document)[operation_id]
    media = json_media(operation["responses"][str(status)])
    assert media is not None, (operation_id, status)
    schema: Document = media["schema"]
    # Refs point into the document's components: validate against the document as the root.
    return {**schema, "components": document["components"]}


def schema_errors(document: Document, operation_id: str, status: int, answer: Any) -> list[str]:
    validator = Draft202012Validator(response_schema(document, operation_id, status))
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(answer)
    ]


def shape_differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Where two answers differ in shape (keys and value types, not values). The stored example
    and today's answer may differ in what the calendar changes: a null where a value was (a
    policy's days left once it has lapsed), an empty list where there were notes; those are
    not differences of shape, and the schema check covers their types."""
    if expected is None or actual is None:
        return []
    if isinstance(expected, dict) and isinstance(actual, dict):
        if set(expected) != set(actual):
            return [f"{where or '/'}: keys {sorted(set(expected) ^ set(actual))}"]
        return [
            d for k in expected for d in shape_differences(expected[k], actual[k], f"{where}/{k}")
        ]
    if isinstance(expected, list) and isinstance(actual, list):
        if not expected or not actual:
            return []
        return shape_differences(expected[0], actual[0], f"{where}/0")
    both_numbers = all(
        isinstance(value, int | float) and not isinstance(value, bool)
        for value in (expected, actual)
    )
    if not both_numbers and type(expected) is not type(actual):
        return [f"{where}: {type(expected).__name__} != {type(actual).__name__}"]
    return []


def excerpt(operation_id: str, answer: Any) -> Any:
    keys = EXCERPTS.get(operation_id)
    return _abbreviated({key: answer[key] for key in keys} if keys else answer)


def _abbreviated(value: Any) -> Any:
    """Long strings (a receipt's SVG and token) cut short: an example is read by people."""
    if isinstance(value, dict):
        return {key: _abbreviated(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_abbreviated(item) for item in value]
    if isinstance(value, str) and len(value) > LONGEST_STRING:
        return value[: LONGEST_STRING - 1] + "…"
    return value


def success_status(operation_id: str) -> int:
    return SUCCESS_STATUS.get(operation_id, 200)


def live_examples(
    client: FlaskClient, headers: dict[str, str], analyst_headers: dict[str, str]
) -> dict[str, Document]:
    """Every example request run against `client`, with its live answer: `headers` are a police
    supervisor's credentials, `analyst_headers` an OFM analyst's (for ANALYST_OPERATIONS)."""
    document = fetch_document(client)
    examples: dict[str, Document] = {}
    for operation_id, (summary, given, body) in EXAMPLE_REQUESTS.items():
        parameters = {
            name: examples[value.removeprefix(FROM)]["response"][name]
            if value.startswith(FROM)
            else value
            for name, value in given.items()
        }
        credentials = analyst_headers if operation_id in ANALYST_OPERATIONS else headers
        response = call_example(client, document, operation_id, parameters, body, credentials)
        request: Document = {"parameters": parameters}
        if body is not None:
            request["body"] = body
        examples[operation_id] = {
            "summary": summary,
            "request": request,
            "status": response.status_code,
            "response": excerpt(operation_id, response.get_json()),
        }
    return examples


def stored_examples() -> dict[str, Document]:
    examples: dict[str, Document] = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
    return examples


def add_signing_key(app: Flask) -> None:
    """A QR signing key, so that the receipt example is signed."""
    with app.app_context():
        keystore().create(now=datetime.now(UTC) - timedelta(days=1))


def analyst_key(app: Flask) -> str:
    """An OFM analyst's API key (an `ofm` agency), for the ANALYST_OPERATIONS examples."""
    from lookup.extensions import state_store
    from lookup.identity import accounts

    with app.app_context():
        agency = accounts.create_agency(state_store(), "Office of Foreign Missions", kind="ofm")
        _key, secret = accounts.create_api_key(state_store(), agency, role="analyst")
    return secret


def _write_examples() -> None:
    from lookup import create_app
    from lookup.extensions import search_backend, state_store
    from lookup.identity import accounts
    from tests.factories import small_dataset

    with tempfile.TemporaryDirectory() as directory:
        app = create_app(data_dir=Path(directory), TESTING=True)
        add_signing_key(app)
        with app.app_context():
            search_backend().publish(small_dataset())
            agency = accounts.create_agency(state_store(), "Metro Police")
            _key, secret = accounts.create_api_key(state_store(), agency, role="supervisor")
        analyst = analyst_key(app)
        examples = live_examples(
            app.test_client(),
            {"Authorization": f"Bearer {secret}"},
            {"Authorization": f"Bearer {analyst}"},
        )
    text = json.dumps(examples, indent=1, ensure_ascii=False)
    EXAMPLES_FILE.write_text(text + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {len(examples)} examples\n")


if __name__ == "__main__":
    _write_examples()
