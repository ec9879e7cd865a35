"""Officer attribution behind an agency key: the `X-On-Behalf-Of` header.

A CAD system shares one key among many officers; the header names the agency's own officer id or
badge for one request, and every audit record of that request keeps it (`on_behalf_of`). A key
created with `--require-officer` refuses a lookup without it. Officers signed in on the web are
already named by their account: the header is ignored for them.
"""

from __future__ import annotations

import re
from dataclasses import replace

from flask import request

from lookup.errors import ApiError
from lookup.identity.principal import Principal

HEADER = "X-On-Behalf-Of"
MAX_LENGTH = 64
# Printable ASCII, as a header value can reliably carry it; surrounding spaces are dropped.
_VALUE = re.compile(rf"[\x20-\x7e]{{1,{MAX_LENGTH}}}")
# The same rule for the OpenAPI document (with maxLength): something besides spaces.
PATTERN = r"^[\x20-\x7e]*[\x21-\x7e][\x20-\x7e]*$"
DESCRIPTION = (
    "The agency's own officer id or badge behind an agency key (1 to 64 printable ASCII "
    "characters), kept in the audit record as `on_behalf_of`. Required for keys created with "
    "`--require-officer`."
)


def _named() -> str | None:
    """The header's value; ApiError 400 naming the header when it is present but malformed."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    value = raw.strip()
    if not _VALUE.fullmatch(value):
        raise ApiError(
            400,
            "invalid_header",
            f"{HEADER}: 1 to {MAX_LENGTH} printable ASCII characters",
            field=HEADER,
        )
    return value


def attributed(principal: Principal) -> Principal:
    """The principal with the officer it acts for; ApiError 400 naming the header when it is
    malformed, or missing for a key that requires it."""
    if not principal.actor.startswith("apikey:"):
        return principal
    officer = _named()
    if officer is None:
        if principal.requires_officer:
            raise ApiError(
                400,
                "missing_header",
                f"{HEADER}: required for this API key (the officer behind the lookup)",
                field=HEADER,
            )
        return principal
    return replace(principal, on_behalf_of=officer)


def attributed_if_valid(principal: Principal) -> Principal:
    """For the record of a refused request: the officer named, when the header is valid."""
    try:
        return attributed(principal)
    except ApiError:
        return principal
