"""Query-string validation with the models the OpenAPI document is generated from."""

from __future__ import annotations

from typing import TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from lookup.errors import ApiError

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M]) -> M:
    """The query string as `model`; ApiError 400 naming the first bad field otherwise."""
    values: dict[str, str] = {}
    for name in model.model_fields:
        given = request.args.getlist(name)
        if len(given) > 1:
            raise ApiError(400, "invalid_parameter", f"{name}: give it once", field=name)
        if given:
            values[name] = given[0]
    try:
        return model.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "query"
        if first["type"] == "missing":
            raise ApiError(400, "missing_parameter", f"{field}: required", field=field) from None
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ApiError(400, "invalid_parameter", f"{field}: {message}", field=field) from None
