"""Browsable API documentation at `/api-docs`: an HTML page rendered on the server from the
published OpenAPI document (lookup/api/openapi_document.py), so it never differs from it.

No script and no other origin: the page runs under the same strict content security policy as
every other page (lookup/http/headers.py), which a JavaScript renderer would need relaxed
(inline styles), and an integrator behind a locked-down network reads it without a CDN.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, render_template
from markdown_it import MarkdownIt
from markupsafe import Markup

from lookup.api.openapi_document import openapi_document
from lookup.http.headers import apply_strict_headers, content_security_policy

bp = Blueprint(
    "api_docs",
    __name__,
    url_prefix="/api-docs",
    template_folder="templates",
    static_folder="static",
)
_POLICY = content_security_policy(scripts=False, data_images=False)
_REF = "#/components/schemas/"
# The document's descriptions are CommonMark (code spans, lists of error codes); raw HTML in
# them is shown as text, never rendered.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})


@bp.app_template_filter("api_markdown")
def api_markdown(text: str) -> Markup:
    return Markup(_MARKDOWN.render(text))  # noqa: S704  (html disabled: the renderer escapes)


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    where: str
    type: str
    required: bool
    description: str
    example: str


@dataclass(frozen=True, slots=True)
class Reply:
    status: str
    description: str
    type: str
    headers: list[str]
    example: str


@dataclass(frozen=True, slots=True)
class Operation:
    id: str
    method: str
    path: str
    summary: str
    description: str
    tags: list[str]
    secured: bool
    parameters: list[Field]
    body: str
    replies: list[Reply]


@dataclass(frozen=True, slots=True)
class Model:
    name: str
    description: str
    fields: list[Field]


def type_of(schema: dict[str, Any]) -> str:
    """A schema in a few words: `PersonOut`, `array of MatchOut`, `one of: a, b`, `... or null`."""
    if "$ref" in schema:
        return str(schema["$ref"]).removeprefix(_REF)
    if "enum" in schema:
        return "one of: " + ", ".join(map(str, schema["enum"]))
    if "const" in schema:
        return f"always {schema['const']}"
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            return " or ".join(type_of(part) for part in schema[combinator])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"map of {type_of(schema['additionalProperties'])}"
    fmt = schema.get("format")
    return f"{kind} ({fmt})" if fmt else str(kind)


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _operations(document: dict[str, Any]) -> list[Operation]:
    found: list[Operation] = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            parameters = [
                Field(
                    p["name"],
                    p["in"],
                    type_of(p.get("schema", {})),
                    bool(p.get("required")),
                    p.get("description", ""),
                    "" if "example" not in p else str(p["example"]),
                )
                for p in operation.get("parameters", [])
            ]
            body = ""
            if "requestBody" in operation:
                media = operation["requestBody"]["content"]["application/json"]
                example = media.get("examples", {}).get("synthetic", {}).get("value")
                body = type_of(media["schema"]) + (
                    "" if example is None else "\n" + _pretty(example)
                )
            replies = []
            for status, response in operation["responses"].items():
                media = response.get("content", {}).get("application/json", {})
                example = media.get("examples", {}).get("synthetic", {}).get("value")
                replies.append(
                    Reply(
                        status,
                        response.get("description", ""),
                        type_of(media["schema"]) if "schema" in media else "",
                        sorted(response.get("headers", {})),
                        "" if example is None else _pretty(example),
                    )
                )
            found.append(
                Operation(
                    operation["operationId"],
                    method.upper(),
                    path,
                    operation.get("summary", ""),
                    operation.get("description", ""),
                    operation.get("tags", []),
                    bool(operation.get("security")),
                    parameters,
                    body,
                    replies,
                )
            )
    return found


def _models(document: dict[str, Any]) -> list[Model]:
    models = []
    for name, schema in sorted(document["components"]["schemas"].items()):
        required = set(schema.get("required", []))
        fields = [
            Field(
                field,
                "",
                type_of(spec),
                field in required,
                spec.get("description", ""),
                "",
            )
            for field, spec in schema.get("properties", {}).items()
        ]
        description = schema.get("description", "")
        if not fields:
            description = description or type_of(schema)
        models.append(Model(name, description, fields))
    return models


@bp.get("")
def page() -> Response:
    """The API reference, generated from the OpenAPI document."""
    # As served: through JSON, so that values such as spectree's enums read as their text.
    document = json.loads(json.dumps(openapi_document()))
    html = render_template(
        "api_docs/page.html",
        document=document,
        operations=_operations(document),
        models=_models(document),
        headers=document["components"].get("headers", {}),
        schemes=document["components"].get("securitySchemes", {}),
    )
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.after_request
def _strict(response: Response) -> Response:
    apply_strict_headers(response.headers, policy=_POLICY, no_store=False)
    return response
