"""Routes anyone may call: the immunity matrix and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from spectree import Response as Responses

from lookup.answers.build import matrix_json
from lookup.answers.models import MatrixOut
from lookup.api.openapi_document import openapi_document
from lookup.openapi.spec import spec
from lookup.rules.matrix_source import current_matrix

bp = Blueprint("api_public", __name__)


@bp.get("/immunity-matrix")
@spec.validate(
    resp=Responses(HTTP_200=MatrixOut),
    tags=["reference"],
    operation_id="getImmunityMatrix",
    skip_validation=True,
)
def immunity_matrix() -> Response:
    """The action matrix by category: what an officer may do, and what each answer means."""
    response = jsonify(matrix_json(current_matrix()))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/openapi.json")
@spec.validate(tags=["reference"], operation_id="getOpenApiDocument", skip_validation=True)
def openapi() -> Response:
    """This document."""
    return jsonify(openapi_document())
