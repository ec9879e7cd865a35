"""Hostile input never yields a 5xx, and every answer matches the OpenAPI document.

Schemathesis drives every operation of the document in-process through the WSGI app (bounded
examples, so the suite stays fast); Hypothesis throws arbitrary text at the path parameters.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from lookup import create_app
from tests.lookup.conftest import AgencyKeys, bearer

# About 30 cases for each of the document's operations, a few hundred in all; derandomized, so
# that a run is the same on every machine and a landing build is reproducible.
FUZZ_SETTINGS = settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _document_app() -> Flask:
    """An app used only to serve the OpenAPI document the cases are generated from; each test
    then calls its own `app` fixture. (schemathesis' lazy fixture loader does not run on this
    pytest version.)"""
    directory = tempfile.mkdtemp(prefix="dipcheck-openapi-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return create_app(data_dir=Path(directory), TESTING=True)


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _document_app())


# Filing a report is refused with 400 for what no schema can state (DESIGN.md "Incidents and
# OFM review"): a subject not in the published set, a time in the future, a lookup reference of
# another agency, an agency key without `reporting_officer`. tests/lookup/api/test_incidents.py
# covers each of those refusals.
DATA_DEPENDENT = {("POST", "/api/v1/incidents")}


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_conforms(case: Any, app: Flask, metro: AgencyKeys) -> None:
    # A supervisor key opens every route, so the generated input reaches validation and lookup.
    # `positive_data_acceptance`: the document states every limit the validation applies (plate
    # and number patterns, control characters, ISO dates, pattern lengths, report years), so
    # input it calls valid is never refused with a 400.
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    if (case.method.upper(), case.path) not in DATA_DEPENDENT:
        checks.append(positive_data_acceptance)
    case.call_and_validate(app=app, headers=bearer(metro.supervisor_key), checks=checks)


ROUTES = ["/api/v1/plates/{}", "/api/v1/credentials/{}", "/api/v1/licenses/{}"]
hostile_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40
)


@pytest.mark.parametrize("route", ROUTES)
@given(value=hostile_text, reason=st.sampled_from(["crash", "", "x" * 300, "traffic_stop\n"]))
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_path_parameters_never_break_the_server(
    client: FlaskClient, metro: AgencyKeys, route: str, value: str, reason: str
) -> None:
    response = client.get(
        route.format(quote(value, safe="")),
        query_string={"reason": reason},
        headers=bearer(metro.supervisor_key),
    )
    assert response.status_code in (200, 308, 400, 404, 405), response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json(silent=True) or {}
    if response.status_code == 200:
        assert {"matches", "reference", "query", "verify", "data_as_of"} <= set(body)
    elif response.status_code != 308:
        assert set(body["error"]) >= {"code", "message"}
