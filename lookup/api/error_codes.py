"""The error codes of the JSON API, by status, with what each means to an integrator.

The OpenAPI document enumerates them from here (lookup/api/openapi_document.py); a test checks
that every code the lookup and audit routes answer with is listed.
"""

from __future__ import annotations

from collections.abc import Mapping

ERROR_CODES: Mapping[int, Mapping[str, str]] = {
    400: {
        "missing_parameter": "a required parameter is missing; `field` names it",
        "invalid_parameter": "a parameter is malformed or out of range; `field` names it",
        "missing_header": "a header this key requires is missing; `field` names it",
        "invalid_header": "a header is malformed; `field` names it",
        "invalid_body": "the JSON body is malformed; `field` names the part at fault",
    },
    401: {
        "missing_credentials": "no API key and no officer session",
        "invalid_credentials": "the API key is unknown, malformed or revoked",
    },
    403: {"forbidden": "the caller's role may not use this route"},
    404: {"not_found": "no such record for the caller's agency (a receipt's lookup)"},
    413: {"request_too_large": "the body or the query string is too long"},
    429: {"rate_limited": "the caller's lookup allowance is spent; retry after `Retry-After`"},
    503: {
        "cannot_verify": "the index cannot answer: call the 24/7 number; `reference` is audited",
        "audit_unavailable": "the lookup cannot be audited, so it is refused",
        "unavailable": "a dependency cannot answer now (e.g. receipts cannot be signed)",
    },
}


def describe(status: int) -> str:
    """The codes of one status as a Markdown list (empty when the status has none listed)."""
    codes = ERROR_CODES.get(status, {})
    return "\n".join(f"- `{code}`: {meaning}" for code, meaning in codes.items())
