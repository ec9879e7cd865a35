from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search_index.names import (
    NAME_MAX_WORDS,
    NAME_MIN_SCORE,
    allowed_edits,
    combined_score,
    query_typos,
    score_ceiling,
    score_name,
)


@pytest.mark.parametrize(
    ("token", "edits"), [("li", 0), ("ana", 1), ("anna", 1), ("maria", 1), ("okafor", 2)]
)
def test_longer_words_tolerate_more_typos(token: str, edits: int) -> None:
    assert allowed_edits(token) == edits


def test_query_words_are_distinct_normalized_and_capped() -> None:
    assert query_typos("Müller  ANNA müller") == [("muller", 2), ("anna", 1)]
    many = " ".join(f"w{'x' * n}" for n in range(NAME_MAX_WORDS + 3))
    assert len(query_typos(many)) == NAME_MAX_WORDS


def test_exact_name_scores_one_and_extra_words_cost_a_little() -> None:
    assert score_name(query_typos("anna muller"), ["anna", "muller"]) == 1.0
    with_middle_name = score_name(query_typos("anna muller"), ["anna", "maria", "muller"])
    assert with_middle_name is not None
    assert NAME_MIN_SCORE < with_middle_name < 1.0


def test_unlike_names_are_not_offered() -> None:
    assert score_name(query_typos("anna muller"), ["chidi", "okafor"]) is None
    assert combined_score([0.5, 0.6], 1, 2) is None


@given(
    st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=NAME_MAX_WORDS),
    st.integers(min_value=1, max_value=8),
    st.data(),
)
def test_the_ceiling_bounds_every_score(
    best: list[float], name_words: int, data: st.DataObject
) -> None:
    """The SQLite backend stops reading candidates once its hits beat this bound, so no name
    may score above the ceiling of any of its query words' similarities (up to the rounding of
    scores to four places)."""
    matched = data.draw(st.integers(min_value=0, max_value=name_words))
    score = combined_score(best, matched, name_words)
    if score is None:
        assert sum(best) / len(best) < NAME_MIN_SCORE
        return
    for similarity in best:
        assert score <= score_ceiling(similarity, len(best)) + 0.00005
