"""The limits the OpenAPI document states hold for what the service accepts."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from lookup.answers.query_rules import NAME_PATTERN
from search_index.normalize import normalize_name


@given(st.from_regex(re.compile(NAME_PATTERN), fullmatch=True))
@settings(max_examples=300, deadline=None)
def test_a_name_the_document_allows_is_never_empty_after_normalization(name: str) -> None:
    assert normalize_name(name)
