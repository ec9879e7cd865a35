"""The browsable API reference is rendered on the server from the OpenAPI document, with no
script and nothing from another origin, under the strict content security policy."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from lookup.api.docs_page import api_markdown, type_of
from tests.lookup.api import openapi_support as support


def test_the_reference_lists_every_operation_and_model(client: FlaskClient) -> None:
    response = client.get("/api-docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    document = support.fetch_document(client)
    for operation_id in support.operations(document):
        assert f'id="{operation_id}"' in html
    for name in document["components"]["schemas"]:
        assert f'id="model-{name}"' in html
    assert "Example (synthetic data)" in html
    assert "<code>rate_limited</code>" in html  # the error codes of a 429, as Markdown
    assert "SecureType" not in html
    assert "(http bearer)" in html


def test_the_reference_runs_under_the_strict_policy(client: FlaskClient) -> None:
    response = client.get("/api-docs")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src" not in policy
    assert "unsafe" not in policy
    html = response.get_data(as_text=True)
    assert "<script" not in html
    assert " style=" not in html
    assert re.findall(r'(?:href|src)="(https?:)?//', html) == []
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert stylesheet is not None
    assert client.get(stylesheet.group(1)).status_code == 200


def test_descriptions_are_markdown_with_raw_html_shown_as_text() -> None:
    rendered = api_markdown("`code` and <script>alert(1)</script>")
    assert "<code>code</code>" in rendered
    assert "<script>" not in rendered
    assert "&lt;script&gt;" in rendered


def test_types_read_as_words() -> None:
    assert type_of({"$ref": "#/components/schemas/PersonOut"}) == "PersonOut"
    assert type_of({"type": "array", "items": {"type": "string"}}) == "array of string"
    assert type_of({"anyOf": [{"type": "string"}, {"type": "null"}]}) == "string or null"
    assert type_of({"enum": ["a", "b"]}) == "one of: a, b"
    assert type_of({"type": "string", "format": "date"}) == "string (date)"
