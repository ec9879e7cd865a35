"""The OpenAPI document lists every route of the API with its parameters, auth and answers."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

LOOKUP_PATHS = {
    "/api/v1/plates/{plate}",
    "/api/v1/plates",
    "/api/v1/credentials/{number}",
    "/api/v1/licenses/{number}",
    "/api/v1/persons",
}


def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def test_every_api_route_is_documented(app: Flask, client: FlaskClient) -> None:
    paths = document(client)["paths"]
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") or rule.rule in ("/healthz", "/readyz")
    }
    assert routes == set(paths)


def test_lookups_need_a_reason_and_credentials(client: FlaskClient) -> None:
    doc = document(client)
    for path in LOOKUP_PATHS:
        operation = doc["paths"][path]["get"]
        reason = next(p for p in operation["parameters"] if p["name"] == "reason")
        assert reason["required"] is True
        assert set(reason["schema"]["enum"]) == {
            "traffic_stop",
            "crash",
            "investigation",
            "citation_follow_up",
            "warrant_service",
            "training",
            "other",
        }
        assert operation["security"] == [{"apiKey": []}, {"webSession": []}]
        assert {"200", "400", "401", "429", "503"} <= set(operation["responses"])
    schemes = doc["components"]["securitySchemes"]
    assert schemes["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["apiKey"]["description"],
    }


def test_public_routes_carry_no_security(client: FlaskClient) -> None:
    doc = document(client)
    for path in ("/api/v1/immunity-matrix", "/api/v1/openapi.json", "/healthz", "/readyz"):
        assert "security" not in doc["paths"][path]["get"], path


def test_error_body_is_described(client: FlaskClient) -> None:
    doc = document(client)
    response = doc["paths"]["/api/v1/plates/{plate}"]["get"]["responses"]["400"]
    ref = response["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    error_schema = doc["components"]["schemas"][ref]
    assert error_schema["required"] == ["error"]


def test_person_query_parameters(client: FlaskClient) -> None:
    operation = document(client)["paths"]["/api/v1/persons"]["get"]
    names = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert set(names) == {"reason", "name", "date_of_birth", "country", "format"}
    assert names["name"]["required"] is True
    assert names["date_of_birth"]["required"] is False


def test_path_parameters_state_the_limits_the_lookups_apply(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = {
        parameter["name"]: parameter["schema"]
        for operations in document["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path"
    }
    plate = re.compile(schemas["plate"]["pattern"])
    assert plate.match("DVL 1234")
    assert plate.match("d-v")
    assert not plate.match("D")  # one character: refused, and the document says so
    assert not plate.match("DVL123456")
    assert not plate.match("DV\x01L")
    number = re.compile(schemas["number"]["pattern"])
    assert number.match("DA123456")
    assert not number.match("A" * 33)
    person = next(op["get"] for path, op in document["paths"].items() if path == "/api/v1/persons")
    by_name = {p["name"]: p["schema"] for p in person["parameters"]}
    name = re.compile(by_name["name"]["pattern"])
    assert name.match("O'Neil-Smith Ana")
    assert not name.match("*")  # nothing normalization keeps: refused, and the document says so
    assert not name.match("Ana\x01")
    assert by_name["date_of_birth"]["anyOf"][0]["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
