"""Routes described in the OpenAPI document without spectree's per-request wrapper.

`spec.validate(..., skip_validation=True)` validates nothing, yet its wrapper still runs on every
request: it reads the whole response body back and builds a second response around it (tens of
microseconds for a plate answer, the lookup's hottest path). `documented` registers the same
description for the document and returns the view itself, so a request never passes through
spectree. It relies on how spectree 3.0 finds a route's description (its metadata table, keyed by
any function of the `__wrapped__` chain): the version is pinned in pyproject.toml, and the
OpenAPI tests fail if the description goes missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from spectree.metadata import register_validated_function

from lookup.openapi.spec import spec

V = TypeVar("V", bound=Callable[..., Any])


def documented(**options: Any) -> Callable[[V], V]:
    """`spec.validate(**options)` for the document only (validation is the view's own)."""

    def decorate(view: V) -> V:
        wrapper = spec.validate(skip_validation=True, **options)(view)
        spec._function_metadata[view] = spec._function_metadata[wrapper]
        register_validated_function(view)
        return view

    return decorate
