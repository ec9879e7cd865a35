"""`POST /api/v1/plates:batch`: up to 100 plates in one request, for CAD systems and
licence-plate-reader feeds.

Each plate is one lookup in every respect but the HTTP round trip: it counts against the lookup
allowance (the whole batch is refused with 429 when its plates do not fit), it leaves its own
audit record, and its answer is exactly a single plate lookup's, with its own `reference`. The
body is checked whole before anything runs: a bad plate refuses the batch (400 naming
`plates`), so a batch is never half answered for bad input.
"""

from __future__ import annotations

from flask import Response, request
from pydantic import ValidationError
from spectree import Response as Responses

from lookup.answers.service import InvalidQuery, run_lookup
from lookup.api import schemas, text_answer
from lookup.api.lookups import (
    BATCH_FIELD,
    ERROR_RESPONSES,
    TAG,
    answer_response,
    audit_refused,
    bp,
    caller,
)
from lookup.api.params import parse
from lookup.api.text_answer import wants_text
from lookup.errors import ApiError
from lookup.http.rate_limits import count_lookups
from lookup.openapi.spec import AUTHENTICATED, spec
from search_index.normalize import normalize_plate


def _body() -> schemas.PlateBatchRequest:
    """The validated body; ApiError 400 naming the field at fault."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "send a JSON object", field="body")
    try:
        batch = schemas.PlateBatchRequest.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "body"
        if field == BATCH_FIELD and len(first["loc"]) == 1 and first["type"] != "missing":
            message = f"{BATCH_FIELD}: give 1 to {schemas.MAX_BATCH} plates as a list"
            raise ApiError(400, "invalid_parameter", message, field=field) from None
        if first["type"] == "missing":
            raise ApiError(400, "missing_parameter", f"{field}: required", field=field) from None
        where = "".join(f"[{part}]" for part in first["loc"][1:])
        message = f"{field}{where}: {first['msg']}"
        raise ApiError(400, "invalid_parameter", message, field=field) from None
    for index, plate in enumerate(batch.plates):
        try:
            normalize_plate(plate)
        except ValueError as error:
            message = f"{BATCH_FIELD}[{index}]: {error}"
            raise ApiError(400, "invalid_parameter", message, field=BATCH_FIELD) from None
    return batch


@bp.post("/plates:batch")
@spec.validate(
    query=schemas.AnswerFormat,
    json=schemas.PlateBatchRequest,
    resp=Responses(HTTP_200=schemas.PlateBatch, **ERROR_RESPONSES),
    tags=[TAG],
    operation_id="lookupPlatesBatch",
    security=AUTHENTICATED,
    skip_validation=True,
)
def plates_batch() -> Response:
    """Look up 1 to 100 plates at once: one answer per plate, in order, each with its own
    reference; every plate counts against the lookup allowance and is audited."""
    principal = caller()
    try:
        answer_format = parse(schemas.AnswerFormat)
        batch = _body()
    except ApiError as error:
        audit_refused(error.code, field=error.field)
        raise
    count_lookups(len(batch.plates))
    answers = []
    for plate in batch.plates:
        try:
            result = run_lookup(
                principal,
                channel="api",
                kind="plate",
                value=plate,
                reason=batch.reason,
                client=request.remote_addr,
            )
        except InvalidQuery as error:  # checked above; kept so a new rule cannot 500
            raise ApiError(400, "invalid_parameter", error.message, field=BATCH_FIELD) from None
        answers.append(result.body)
    as_text = text_answer.render_batch if wants_text(answer_format.format) else None
    return answer_response({"answers": answers}, as_text)
