"""The published OpenAPI document is one an integrator's tools accept: it validates, names its
components and operations readably, says where the server is, documents headers and error
codes, and carries an example for every operation that matches a live answer."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from lookup.api import schemas
from lookup.api.error_codes import ERROR_CODES
from tests.lookup.api import openapi_support as support
from tests.lookup.conftest import AgencyKeys, AppFactory, bearer

LOOKUP_OPERATIONS = {
    "/api/v1/plates/{plate}": "getPlate",
    "/api/v1/plates": "searchPlates",
    "/api/v1/credentials/{number}": "getCredential",
    "/api/v1/licenses/{number}": "getLicense",
    "/api/v1/persons": "searchPersons",
}


def test_the_document_validates_as_openapi_3_1(client: FlaskClient) -> None:
    document = support.fetch_document(client)
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on the first error


def test_components_have_readable_names_shared_by_every_answer(client: FlaskClient) -> None:
    document = support.fetch_document(client)
    names = set(document["components"]["schemas"])
    assert all(re.fullmatch(r"[A-Z][A-Za-z0-9]*", name) for name in names), sorted(names)
    assert {"PlateLookup", "PersonOut", "ImmunityOut", "ErrorBody"} <= names
    # One PersonOut, referred to from the plate and licence answers alike.
    text = str(document)
    schemas = document["components"]["schemas"]
    for holder in ("PlateMatchOut", "LicenseMatchOut"):
        assert "#/components/schemas/PersonOut" in str(schemas[holder])
    assert text.count("'PersonOut': {") == 1
    # A card's holder is the same person, flat, with how the number matched (the JSON contract
    # keeps a credential match flat, so the component extends PersonOut field for field).
    assert "#/components/schemas/CredentialMatchOut" in str(schemas["CredentialLookup"])
    person, card = schemas["PersonOut"], schemas["CredentialMatchOut"]
    assert {k: card["properties"][k] for k in person["properties"]} == person["properties"]
    assert set(card["properties"]) - set(person["properties"]) == {
        "match",
        "score",
        "substitutions",
    }
    assert set(person["required"]) <= set(card["required"])


def test_operation_ids_say_what_each_route_does(client: FlaskClient) -> None:
    found = support.operations(support.fetch_document(client))
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)+", name) for name in found), sorted(found)
    by_path = {path: name for name, (_method, path, _op) in found.items()}
    for path, operation_id in LOOKUP_OPERATIONS.items():
        assert by_path[path] == operation_id


def test_servers_entry_is_the_public_url(make_app: AppFactory) -> None:
    client = make_app(PUBLIC_URL="https://dipcheck.example.org/").test_client()
    servers = support.fetch_document(client)["servers"]
    assert servers == [{"url": "https://dipcheck.example.org", "description": "This instance"}]


def test_without_a_public_url_there_is_no_servers_entry(client: FlaskClient) -> None:
    assert "servers" not in support.fetch_document(client)


def test_the_document_route_describes_its_answer(client: FlaskClient) -> None:
    _method, _path, operation = support.operations(support.fetch_document(client))[
        "getOpenApiDocument"
    ]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "object"
    }


def test_response_headers_are_documented(client: FlaskClient) -> None:
    document = support.fetch_document(client)
    assert set(document["components"]["headers"]) == {
        "X-Request-Id",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
        "Retry-After",
    }
    for operation_id in LOOKUP_OPERATIONS.values():
        _method, _path, operation = support.operations(document)[operation_id]
        responses = operation["responses"]
        ok = set(responses["200"]["headers"])
        assert ok == {"X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                      "X-RateLimit-Reset"}  # fmt: skip
        assert "Retry-After" in responses["429"]["headers"]
        assert "Retry-After" in responses["503"]["headers"]
    for _name, (_method, _path, operation) in support.operations(document).items():
        for status, response in operation["responses"].items():
            assert "X-Request-Id" in response["headers"]
            retry = "Retry-After" in response["headers"]
            assert retry == (status == "429" or (status == "503" and _path.startswith("/api/")))


def test_error_codes_are_enumerated_per_status(client: FlaskClient) -> None:
    _method, _path, operation = support.operations(support.fetch_document(client))["getPlate"]
    for status in ("400", "401", "429", "503"):
        description = operation["responses"][status]["description"]
        for code in ERROR_CODES[int(status)]:
            assert f"`{code}`" in description, (status, code)


def test_every_operation_has_an_example_request_and_answer(client: FlaskClient) -> None:
    document = support.fetch_document(client)
    for operation_id, (_method, _path, operation) in support.operations(document).items():
        examples = [
            media.get("examples")
            for response in operation["responses"].values()
            for media in response.get("content", {}).values()
        ]
        assert any(examples), operation_id
        required = [p for p in operation["parameters"] if p.get("required")]
        assert all("example" in p for p in required), operation_id


def test_examples_match_live_answers_in_shape_and_validate(
    app: Flask, client: FlaskClient, metro: AgencyKeys
) -> None:
    support.add_signing_key(app)
    document = support.fetch_document(client)
    stored = support.stored_examples()
    analyst = bearer(support.analyst_key(app))
    live = support.live_examples(client, bearer(metro.supervisor_key), analyst)
    assert set(live) == set(stored)
    for operation_id, example in stored.items():
        now = live[operation_id]
        status = support.success_status(operation_id)
        assert now["status"] == example["status"] == status, operation_id
        differences = support.shape_differences(example["response"], now["response"])
        assert differences == [], (operation_id, differences)
        if operation_id not in support.EXCERPTS:
            errors = support.schema_errors(document, operation_id, status, example["response"])
            assert errors == [], (operation_id, errors)


@pytest.mark.parametrize("operation_id", sorted(LOOKUP_OPERATIONS.values()))
def test_an_answer_that_breaks_the_schema_is_caught(client: FlaskClient, operation_id: str) -> None:
    # The check the example and sample tests rely on must fail on a wrong answer.
    document = support.fetch_document(client)
    answer = dict(support.stored_examples()[operation_id]["response"])
    answer["reference"] = 7
    assert support.schema_errors(document, operation_id, 200, answer) != []


def test_two_models_of_one_name_fail_even_when_nested() -> None:
    from pydantic import BaseModel

    from lookup.openapi.spec import component_name

    class PersonOut(BaseModel):  # the same name as the answer's PersonOut, another model
        name: str

    class Holder(BaseModel):
        people: list[PersonOut] | None

    component_name(schemas.PlateLookup)  # registers the real PersonOut, nested in it
    with pytest.raises(TypeError, match="two API models are named PersonOut"):
        component_name(Holder)
