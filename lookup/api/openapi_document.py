"""The published OpenAPI document: spectree's, finished in this one place.

Spectree generates paths, parameters and schemas from the routes and their pydantic models
(lookup/openapi/spec.py). What it cannot know is added here: the `servers` entry of this instance
(`DIPCHECK_PUBLIC_URL`), the response headers (request id, rate limits, `Retry-After`), the
error codes of each status (lookup/api/error_codes.py), an example request and answer for every
operation (openapi_examples.json, taken from the synthetic test set and checked against live
answers by tests/lookup/api/test_openapi_examples.py), the answer of this document's own route,
and readable `operationId`s for routes that did not name one.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from datetime import datetime
from importlib import resources
from typing import Any

from lookup.answers.query_rules import IDENTIFIER_PATTERN, PLATE_PATTERN, REFERENCE_PATTERN
from lookup.api import on_behalf_of, text_answer
from lookup.api.error_codes import ERROR_CODES, describe
from lookup.config import current_settings
from lookup.openapi.spec import spec

Document = dict[str, Any]

# The tag of the routes that count against the lookup allowance (lookup/http/rate_limits.py).
RATE_LIMITED_TAG = "lookups"
_RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")

HEADERS: Document = {
    "X-Request-Id": {
        "description": "The id of this request in the operational log and in its audit record "
        "(`detail.request_id`): yours when you sent a valid one, else one made up.",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{8,64}$"},
    },
    "X-RateLimit-Limit": {
        "description": "Lookups allowed in the current window (DIPCHECK_RATELIMIT_LOOKUPS).",
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-RateLimit-Remaining": {
        "description": "Lookups left in the current window.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-RateLimit-Reset": {
        "description": "When the window resets, in seconds since the Unix epoch.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying (429 and 503 only).",
        "schema": {"type": "integer", "minimum": 0},
    },
}

REQUEST_ID_PARAMETER: Document = {
    "name": "X-Request-Id",
    "in": "header",
    "required": False,
    "description": "Your own id for this request (8 to 64 letters, digits, `.`, `_`, `-`), "
    "echoed back and kept in the audit record; anything else is replaced.",
    "schema": {"type": "string"},
}

API_PREFIX = "/api/v1/"
# The routes that record the officer an agency key names (lookup/api/on_behalf_of.py).
ATTRIBUTED_TAGS = frozenset({"lookups", "audit"})
ON_BEHALF_OF_PARAMETER: Document = {
    "name": on_behalf_of.HEADER,
    "in": "header",
    "required": False,
    "description": on_behalf_of.DESCRIPTION,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": on_behalf_of.MAX_LENGTH,
        "pattern": on_behalf_of.PATTERN,
    },
}

_DEFAULT_OPERATION_ID = re.compile(r"^[a-z]+__")

# Answers that are files rather than JSON models (spectree documents no body for them): what
# each download's 200 carries, by media type.
FILE_ANSWERS: dict[str, Document] = {
    "getOfmExport": {
        "application/geo+json": {
            "schema": {
                "type": "object",
                "description": "An RFC 7946 FeatureCollection (`missions.geojson`, "
                "`incidents.geojson`): longitude first, flat properties.",
                "required": ["type", "features"],
                "properties": {
                    "type": {"const": "FeatureCollection"},
                    "features": {"type": "array", "items": {"type": "object"}},
                },
            }
        },
        "text/csv": {
            "schema": {
                "type": "string",
                "description": "UTF-8 CSV with a header row and ISO dates (the `.csv` exports).",
            }
        },
    },
}

# Spectree types a path parameter by its Werkzeug converter only ("string"); the lookup routes'
# parameters have the limits of search_index.normalize, stated here so the document announces
# every 400 a well-formed value cannot get.
PATH_PARAMETER_SCHEMAS: dict[str, Document] = {
    "plate": {"type": "string", "pattern": PLATE_PATTERN},
    "number": {"type": "string", "pattern": IDENTIFIER_PATTERN},
    "reference": {"type": "string", "pattern": REFERENCE_PATTERN},
}


def openapi_document() -> Document:
    """The document for this instance (its servers entry comes from the settings)."""
    return _document(current_settings().public_url)


@functools.lru_cache(maxsize=4)
def _document(public_url: str | None) -> Document:
    document: Document = copy.deepcopy(spec.spec)
    if public_url:
        document["servers"] = [{"url": public_url.rstrip("/"), "description": "This instance"}]
    components = document.setdefault("components", {})
    components["headers"] = copy.deepcopy(HEADERS)
    examples = _examples()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if _DEFAULT_OPERATION_ID.match(operation["operationId"]):
                operation["operationId"] = _operation_id(method, path)
            if operation["operationId"] == "getOpenApiDocument":
                operation["responses"] = {"200": _document_response()}
            if operation["operationId"] in FILE_ANSWERS:
                media = copy.deepcopy(FILE_ANSWERS[operation["operationId"]])
                operation["responses"]["200"]["content"] = media
            for parameter in operation["parameters"]:
                schema = PATH_PARAMETER_SCHEMAS.get(parameter.get("name", ""))
                if parameter.get("in") == "path" and schema is not None:
                    parameter["schema"] = dict(schema)
            operation["parameters"].append(dict(REQUEST_ID_PARAMETER))
            if ATTRIBUTED_TAGS.intersection(operation.get("tags", [])):
                operation["parameters"].append(dict(ON_BEHALF_OF_PARAMETER))
            if path.startswith(API_PREFIX):  # lookup.api refuses an oversized request first
                operation["responses"].setdefault("413", _too_large())
            _finish_responses(operation, under_api=path.startswith(API_PREFIX))
            example = examples.get(operation["operationId"])
            if example is not None:
                _add_example(operation, example)
    return document


def _operation_id(method: str, path: str) -> str:
    """`get` + `/api/v1/incidents/{incident_id}` -> `getIncidentsByIncidentId`."""
    words: list[str] = []
    for segment in path.removeprefix("/api/v1").strip("/").split("/"):
        if segment.startswith("{"):
            words.append("By")
            segment = segment.strip("{}")
        words.extend(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", segment) if part)
    return method + "".join(words)


def _document_response() -> Document:
    return {
        "description": "This document (OpenAPI 3.1).",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }


def _too_large() -> Document:
    return {
        "description": "Request Entity Too Large",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }


def _header_refs(names: tuple[str, ...]) -> Document:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _finish_responses(operation: Document, *, under_api: bool) -> None:
    rate_limited = RATE_LIMITED_TAG in operation.get("tags", [])
    for status, response in operation["responses"].items():
        names: tuple[str, ...] = ("X-Request-Id",)
        if rate_limited and status != "413":  # 413 is refused before the allowance is counted
            names += _RATE_HEADERS
        if status == "429" or (status == "503" and under_api):
            names += ("Retry-After",)
        response["headers"] = _header_refs(names)
        if status.isdigit() and int(status) in ERROR_CODES and "content" in response:
            codes = describe(int(status))
            response["description"] = f"{response['description']}. `error.code`:\n{codes}"


def _add_example(operation: Document, example: Document) -> None:
    request: Document = example["request"]
    for parameter in operation["parameters"]:
        name = parameter.get("name")
        if name in request.get("parameters", {}):
            parameter["example"] = request["parameters"][name]
    if "body" in request and "requestBody" in operation:
        media = operation["requestBody"]["content"]["application/json"]
        media["examples"] = {"synthetic": {"value": request["body"]}}
    status = str(example["status"])
    content = json_media(operation["responses"].get(status, {}))
    if content is not None:
        content["examples"] = {
            "synthetic": {"summary": example["summary"], "value": example["response"]}
        }
    if RATE_LIMITED_TAG in operation.get("tags", []) and status == "200":
        operation["responses"]["200"]["content"][text_answer.TEXT] = _text_content(example)


def json_media(response: Document) -> Document | None:
    """A response's JSON media: `application/json`, else a JSON-based type such as GeoJSON."""
    media: Document = response.get("content", {})
    for name in ("application/json", *sorted(m for m in media if m.endswith("+json"))):
        if name in media:
            found: Document = media[name]
            return found
    return None


def _text_content(example: Document) -> Document:
    """The plain-text form of a lookup's answer, its example rendered from the JSON example
    (as of the data set's publication, so the document does not change by the hour)."""
    answer: Document = example["response"]
    first = answer["answers"][0] if "answers" in answer else answer
    as_of = datetime.fromisoformat(str(first["data_as_of"]).replace("Z", "+00:00"))
    render = text_answer.render_batch if "answers" in answer else text_answer.render
    return {
        "schema": {"type": "string"},
        "examples": {"synthetic": {"summary": example["summary"], "value": render(answer, as_of)}},
    }


@functools.lru_cache(maxsize=1)
def _examples() -> dict[str, Document]:
    text = resources.files("lookup.api").joinpath("openapi_examples.json").read_text("utf-8")
    examples: dict[str, Document] = json.loads(text)
    return examples
