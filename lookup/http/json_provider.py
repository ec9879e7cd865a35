"""The app's JSON provider: orjson for compact output, the standard library otherwise.

A plate answer is tens of kilobytes; the standard library encoder spends more CPU on it than the
index reads behind it. orjson writes the same JSON about ten times faster. What stays as Flask's
default provider does it: keys in the answer's own order (never sorted), dates as HTTP dates,
Decimal and UUID as strings, dataclasses as objects. One difference is only in spelling:
non-ASCII characters are written as UTF-8 rather than `\\u` escapes, which every JSON parser
reads as the same string (and a float NaN, which the standard library writes as the invalid
token `NaN`, becomes `null`). Pretty-printed output (debug mode) and any call with options orjson
has no equivalent for go through the standard library unchanged. A value written once already
(`Encoded`, a cached answer's matches) is copied into the output as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

if TYPE_CHECKING:
    from werkzeug.sansio.response import Response as BaseResponse

# Dates and dataclasses go through Flask's `default` (as with the standard library) rather than
# orjson's own RFC 3339 and field handling, so the output matches Flask's default provider.
_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
)
_COMPACT = (",", ":")


class Encoded:
    """A value already written as the app's compact JSON (by `compact_json`), to be placed in a
    response as it is: orjson copies its bytes, and the standard library (pretty output in debug
    mode) reads them back. A cached answer's matches are written once, not per request."""

    __slots__ = ("json",)

    def __init__(self, json: bytes) -> None:
        self.json = json


_flask_default = DefaultJSONProvider.default


def _default(obj: Any) -> Any:
    """Flask's default, and an Encoded value read back (for the standard library)."""
    if isinstance(obj, Encoded):
        return orjson.loads(obj.json)
    return _flask_default(obj)


def _orjson(obj: Any, default: Callable[[Any], Any], option: int) -> bytes | None:
    """orjson's bytes, or None where only the standard library can say what to do (integers
    beyond 64 bits, strings with lone surrogates): the caller then falls back to it."""

    def encoded_as_is(value: Any) -> Any:
        if isinstance(value, Encoded):
            return orjson.Fragment(value.json)
        return default(value)

    try:
        return orjson.dumps(obj, default=encoded_as_is, option=_OPTIONS | option)
    except orjson.JSONEncodeError as error:
        if isinstance(error.__cause__, TypeError):
            raise error.__cause__ from None  # what `default` refused, as stdlib reports it
        return None


def compact_json(obj: Any) -> bytes | None:
    """`obj` as the app's JSON responses write it (compact, keys in their order), for an
    Encoded value; None where orjson cannot write it."""
    return _orjson(obj, _default, 0)


class OrjsonProvider(DefaultJSONProvider):
    sort_keys = False
    default = staticmethod(_default)

    def _encode(self, obj: Any, option: int) -> bytes | None:
        if self.sort_keys:
            return None
        return _orjson(obj, self.default, option)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        # Without separators the standard library puts spaces after "," and ":"; keep that.
        if kwargs == {"separators": _COMPACT}:
            encoded = self._encode(obj, 0)
            if encoded is not None:
                return encoded.decode()
        return super().dumps(obj, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> BaseResponse:
        pretty = (self.compact is None and self._app.debug) or self.compact is False
        if not pretty:
            obj = self._prepare_response_obj(args, kwargs)
            encoded = self._encode(obj, orjson.OPT_APPEND_NEWLINE)
            if encoded is not None:
                # Flask's app class always serves its (full, bytes-accepting) Response class.
                response_class: type[Response] = self._app.response_class  # type: ignore[assignment]
                return response_class(encoded, mimetype=self.mimetype)
        return super().response(*args, **kwargs)
