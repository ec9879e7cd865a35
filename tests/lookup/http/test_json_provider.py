"""The app's JSON provider writes what Flask's default provider writes, only faster."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid
from typing import Any, cast

import pytest
from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider, JSONProvider
from hypothesis import given
from hypothesis import strategies as st

from lookup.http.json_provider import Encoded, OrjsonProvider, compact_json


@dataclasses.dataclass
class Point:
    x: int
    label: str


def _body(provider: JSONProvider, value: Any) -> bytes:
    return cast(Response, provider.response(value)).get_data()


def _apps() -> tuple[Flask, DefaultJSONProvider]:
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    reference = DefaultJSONProvider(app)
    reference.sort_keys = False
    return app, reference


SAMPLE: dict[Any, Any] = {
    "zeta": 1,
    "alpha": "Zoë Ōtaki 東京 — Ελένη",
    "day": datetime.date(2026, 1, 2),
    "at": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
    "amount": decimal.Decimal("1.50"),
    "id": uuid.UUID(int=5),
    "point": Point(1, "a"),
    7: [None, True, 1.25],
}


def test_response_parses_to_what_the_default_provider_writes_in_the_same_key_order() -> None:
    app, reference = _apps()
    with app.app_context():
        fast = _body(app.json, SAMPLE)
        slow = _body(reference, SAMPLE)
    assert fast.endswith(b"\n")
    assert json.loads(fast) == json.loads(slow)
    assert list(json.loads(fast)) == ["zeta", "alpha", "day", "at", "amount", "id", "point", "7"]
    assert "Zoë Ōtaki 東京".encode() in fast  # UTF-8 rather than \u escapes: the same string


def test_dumps_matches_the_default_provider_byte_for_byte_except_explicit_compact() -> None:
    app, reference = _apps()
    assert app.json.dumps(SAMPLE) == reference.dumps(SAMPLE)
    assert app.json.dumps(SAMPLE, indent=2) == reference.dumps(SAMPLE, indent=2)
    compact = app.json.dumps(SAMPLE, separators=(",", ":"))
    assert json.loads(compact) == json.loads(reference.dumps(SAMPLE))


def test_debug_mode_pretty_prints_through_the_standard_library() -> None:
    app, reference = _apps()
    app.debug = True
    with app.app_context():
        assert _body(app.json, SAMPLE) == _body(reference, SAMPLE)


def test_values_only_the_standard_library_can_write_fall_back_to_it() -> None:
    app, reference = _apps()
    for value in ({"big": 2**70}, {"s": "\ud800"}):
        with app.app_context():
            assert _body(app.json, value) == _body(reference, value)


def test_an_unserializable_value_raises_type_error_as_before() -> None:
    app, _ = _apps()
    with app.app_context(), pytest.raises(TypeError, match="object"):
        _body(app.json, {"x": object()})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_any_json_value_round_trips_identically(value: Any) -> None:
    app, reference = _apps()
    with app.app_context():
        fast = _body(app.json, value)
        slow = _body(reference, value)
    assert json.loads(fast) == json.loads(slow) == value


def _encoded(value: Any) -> Encoded:
    written = compact_json(value)
    assert written is not None
    return Encoded(written)


def test_an_encoded_value_is_written_as_the_value_itself() -> None:
    """Fast (orjson copies the bytes) and pretty (the standard library reads them back)."""
    app, reference = _apps()
    plain = {"before": 1, "inner": SAMPLE, "after": "Zoë"}
    spliced = {**plain, "inner": _encoded(SAMPLE)}
    with app.app_context():
        assert _body(app.json, spliced) == _body(app.json, plain)
        assert app.json.dumps(spliced) == reference.dumps(plain)
        app.debug = True
        assert _body(app.json, spliced) == _body(reference, plain)


@given(json_values)
def test_any_encoded_json_value_is_written_byte_for_byte_as_before(value: Any) -> None:
    app, _ = _apps()
    with app.app_context():
        assert _body(app.json, {"v": _encoded(value), "n": 1}) == _body(
            app.json, {"v": value, "n": 1}
        )
