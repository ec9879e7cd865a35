"""The answer cache: reused within one data set, day and generation; never across them;
bounded; and answers identical with and without it."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any, cast

import orjson
import pytest
from flask import Flask, Response

from lookup.answers import cache as answer_cache
from lookup.answers.cache import AnswerCache, CachedAnswer, CacheKey
from lookup.answers.service import LookupResult, run_lookup
from lookup.config import Settings
from lookup.extensions import search_backend
from lookup.identity.principal import Principal
from tests.factories import (
    DIPLOMAT_CREDENTIAL,
    DIPLOMAT_LICENSE,
    DIPLOMAT_PLATE,
    small_dataset,
)
from tests.lookup.conftest import AppFactory

OFFICER = Principal("agency-1", "Metro Police", "officer:o-1", "officer", officer_id="o-1")

# (kind, value, params) covering every kind, typed in several ways.
QUERIES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("plate", DIPLOMAT_PLATE, None),
    ("plate", DIPLOMAT_PLATE.lower(), None),
    ("plate", "DVL-I234", None),
    ("plate", "DVL12345", None),
    ("plate_pattern", "DVL1*", None),
    ("plate_pattern", "D?L1234", None),
    ("credential", DIPLOMAT_CREDENTIAL, None),
    ("credential", DIPLOMAT_CREDENTIAL.lower(), None),
    ("license", DIPLOMAT_LICENSE, None),
    ("license", "NOPE1", None),
    ("person", "valdez", None),
    ("person", "Valdéz", {"country": "Valdoria"}),
    ("person", "valdez", {"date_of_birth": "1970-01-01"}),
]


def ask(kind: str, value: str, params: dict[str, Any] | None, channel: str = "api") -> Any:
    return run_lookup(
        OFFICER,
        channel=channel,  # type: ignore[arg-type]
        kind=kind,  # type: ignore[arg-type]
        value=value,
        reason="traffic_stop",
        client=None,
        params=params,
    )


def per_request_blanked(result: LookupResult) -> dict[str, Any]:
    return {**result.body, "reference": "-"}


def key(n: int) -> CacheKey:
    return CacheKey("ds", date(2026, 1, 1), (0, 0), "plate", f"P{n}", ())


def entry(size: int) -> CachedAnswer:
    matches = [{"x": "y" * size}]
    return CachedAnswer(matches=matches, ids=[], summary={}, matches_json=orjson.dumps(matches))


def test_answers_are_identical_with_and_without_the_cache(make_app: AppFactory) -> None:
    cached_app, uncached_app = make_app(), make_app(answer_cache_mb=0)
    answers: dict[bool, list[dict[str, Any]]] = {}
    for cached, app in ((True, cached_app), (False, uncached_app)):
        with app.test_request_context():
            answers[cached] = [
                per_request_blanked(ask(kind, value, params, channel))
                for channel in ("api", "sms")
                for kind, value, params in QUERIES
                for _twice in range(2)
            ]
            cache = answer_cache.app_cache()
            assert (cache.enabled, len(cache) > 0) == (cached, cached)
    assert answers[True] == answers[False]
    assert any(answer["matches"] for answer in answers[True])


def test_a_repeated_lookup_is_served_from_the_cache_with_its_own_reference(app: Flask) -> None:
    with app.test_request_context():
        first, second = ask("plate", DIPLOMAT_PLATE, None), ask("plate", "dvl 1234", None)
        cache = answer_cache.app_cache()
    assert (cache.misses, cache.hits) == (1, 1)
    assert first.reference != second.reference
    assert second.body["matches"] is first.body["matches"]
    assert second.body["query"]["typed"] == "dvl 1234"


def test_options_are_part_of_the_key(app: Flask) -> None:
    with app.test_request_context():
        api = ask("credential", DIPLOMAT_CREDENTIAL, None, "api")
        sms = ask("credential", DIPLOMAT_CREDENTIAL, None, "sms")
        assert answer_cache.app_cache().hits == 0
    assert "date_of_birth" in api.body["matches"][0]
    assert "date_of_birth" not in sms.body["matches"][0]


def test_a_publish_invalidates(app: Flask) -> None:
    with app.test_request_context():
        before = ask("plate", DIPLOMAT_PLATE, None)
        dataset = small_dataset()
        vehicles = tuple(
            dataclasses.replace(v, color="Purple") if v.plate == DIPLOMAT_PLATE else v
            for v in dataset.vehicles
        )
        search_backend().publish(dataclasses.replace(dataset, vehicles=vehicles))
        after = ask("plate", DIPLOMAT_PLATE, None)
        assert answer_cache.app_cache().hits == 0
    assert before.body["matches"][0]["vehicle"]["color"] != "Purple"
    assert after.body["matches"][0]["vehicle"]["color"] == "Purple"


def test_a_new_day_invalidates(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    day = [date(2026, 3, 15)]
    monkeypatch.setattr(Settings, "local_date", lambda self, moment=None: day[0])
    with app.test_request_context():
        ask("license", DIPLOMAT_LICENSE, None)
        day[0] = date(2026, 3, 16)
        ask("license", DIPLOMAT_LICENSE, None)
        ask("license", DIPLOMAT_LICENSE, None)
        cache = answer_cache.app_cache()
    assert (cache.misses, cache.hits) == (2, 1)


def test_a_bump_invalidates_at_once(app: Flask) -> None:
    with app.test_request_context():
        ask("license", DIPLOMAT_LICENSE, None)
        answer_cache.bump()
        ask("license", DIPLOMAT_LICENSE, None)
        assert answer_cache.app_cache().hits == 0


def test_the_shared_generation_is_read_at_most_once_a_second(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock, counter, reads = [1000.0], [7], []

    def read() -> int:
        reads.append(counter[0])
        return counter[0]

    monkeypatch.setattr("lookup.answers.cache.time.monotonic", lambda: clock[0])
    answer_cache.set_generation_source(read)
    try:
        with app.test_request_context():
            ask("license", DIPLOMAT_LICENSE, None)
            counter[0] = 8  # another process records points
            ask("license", DIPLOMAT_LICENSE, None)  # within the second: still cached
            clock[0] += answer_cache.GENERATION_POLL_SECONDS
            ask("license", DIPLOMAT_LICENSE, None)
            cache = answer_cache.app_cache()
    finally:
        answer_cache.set_generation_source(None)
    assert reads == [7, 8]
    assert (cache.misses, cache.hits) == (2, 1)


def test_training_backends_are_not_cached(app: Flask) -> None:
    with app.test_request_context():
        ask("plate", DIPLOMAT_PLATE, None)
        run_lookup(
            OFFICER,
            channel="web",
            kind="plate",
            value=DIPLOMAT_PLATE,
            reason="training",
            client=None,
            backend=search_backend(),
        )
        cache = answer_cache.app_cache()
    assert (cache.misses, cache.hits, len(cache)) == (1, 0, 1)


def test_the_cache_keeps_within_its_bound_dropping_the_least_recently_used() -> None:
    cache = AnswerCache(max_bytes=110_000)  # four entries (25,054 bytes each)
    for n in range(3):
        cache.put(key(n), entry(8_000))
    assert cache.get(key(0)) is not None  # 0 is now the most recently used
    for n in range(3, 6):
        cache.put(key(n), entry(8_000))
    assert cache.size_bytes <= cache.max_bytes
    assert cache.get(key(0)) is not None
    assert cache.get(key(1)) is None
    assert cache.get(key(5)) is not None


def test_an_entry_is_charged_its_objects_and_the_json_it_keeps() -> None:
    cache = AnswerCache(max_bytes=1_000_000)
    cache.put(key(1), entry(8_000))
    json_bytes = len(b'[{"x":""}]') + 8_000
    assert cache.size_bytes == json_bytes * answer_cache.OBJECT_OVERHEAD + json_bytes + 1024


def test_an_answer_without_its_json_is_not_kept() -> None:
    cache = AnswerCache(max_bytes=1_000_000)
    cache.put(key(1), dataclasses.replace(entry(10), matches_json=None))
    assert (len(cache), cache.size_bytes) == (0, 0)


def test_an_answer_larger_than_the_whole_cache_is_not_kept() -> None:
    cache = AnswerCache(max_bytes=10_000)
    cache.put(key(1), entry(20_000))
    assert (len(cache), cache.size_bytes) == (0, 0)


def test_zero_megabytes_disables_the_cache(make_app: AppFactory) -> None:
    app = make_app(answer_cache_mb=0)
    with app.test_request_context():
        ask("plate", DIPLOMAT_PLATE, None)
        ask("plate", DIPLOMAT_PLATE, None)
        cache = answer_cache.app_cache()
    assert (cache.enabled, len(cache), cache.hits) == (False, 0, 0)


@pytest.mark.parametrize(
    ("kind", "value", "params", "count"),
    [
        ("plate", DIPLOMAT_PLATE, None, 1),
        ("plate", "ZZ99999", None, 0),  # no match
        ("plate_pattern", "DVL?234", None, 2),  # several matches
        ("person", "Brezina", None, 1),  # a name written with non-ASCII letters
        ("person", "Ostrander", None, 2),  # several people
    ],
)
def test_a_cached_answer_is_written_byte_for_byte_as_its_whole_body(
    app: Flask, kind: str, value: str, params: dict[str, Any] | None, count: int
) -> None:
    """A hit serializes only the per-request fields around the matches the cache wrote once;
    the bytes are those of the whole body written at once."""
    with app.test_request_context():
        ask(kind, value, params)
        hit = ask(kind, value, params)
        assert answer_cache.app_cache().hits == 1
        assert hit.matches_json is not None
        spliced = cast(Response, app.json.response(hit.json_body())).get_data()
        whole = cast(Response, app.json.response(hit.body)).get_data()
    assert len(hit.body["matches"]) >= count
    assert spliced == whole == orjson.dumps(hit.body, option=orjson.OPT_APPEND_NEWLINE)
    if value == "Brezina":
        assert "Brézina".encode() in spliced


def test_an_answer_built_without_the_cache_is_written_whole(make_app: AppFactory) -> None:
    app = make_app(answer_cache_mb=0)
    with app.test_request_context():
        result = ask("plate", DIPLOMAT_PLATE, None)
    assert result.matches_json is None
    assert result.json_body() is result.body
