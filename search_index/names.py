"""Name matching and scoring, shared by every backend.

A backend finds candidate persons its own way (SQLite through its word table, Elasticsearch
through fuzzy term queries); the rule for which names match and how they rank lives here once:

1. `query_typos(name)`: the query's distinct normalized words (at most NAME_MAX_WORDS), each with
   the typos it tolerates (`allowed_edits`).
2. A candidate word is a look-alike of a query word when their OSA distance is within those typos;
   its `similarity` is 1 - distance / the longer length.
3. `combined_score`: the mean, over query words, of the best similarity among the candidate's
   words (None below NAME_MIN_SCORE), nudged up for names with fewer words the query missed.
   `score_ceiling` bounds it for a backend that wants to stop reading candidates early.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz.distance import OSA

from search_index.normalize import name_tokens, normalize_name

# Below this score a name is not offered at all.
NAME_MIN_SCORE = 0.6
# Words of a query beyond this are ignored: a name search is not a full-text search.
NAME_MAX_WORDS = 6
# Weights of the mean best similarity and of the share of the name's words the query matched.
_SIMILARITY_WEIGHT = 0.9
_COVERAGE_WEIGHT = 0.1


def country_key(country: str) -> str:
    """A country as the name search's country filter compares it (a normalized name; empty when
    nothing is left), on the persons' missions and on the query alike."""
    try:
        return normalize_name(country)
    except ValueError:
        return ""


def allowed_edits(token: str) -> int:
    """Typos tolerated in one word of a name: none in very short words, then one, then two."""
    if len(token) <= 2:
        return 0
    return 1 if len(token) <= 5 else 2


def query_typos(name: str) -> list[tuple[str, int]]:
    """The query's distinct words in order, each with its allowed typos."""
    words = list(dict.fromkeys(name_tokens(name)))[:NAME_MAX_WORDS]
    return [(word, allowed_edits(word)) for word in words]


def similarity(token: str, word: str, distance: int) -> float:
    """How alike a query word and a name word are, given their edit distance."""
    return 1.0 - distance / max(len(word), len(token))


def combined_score(best: Sequence[float], matched_words: int, name_words: int) -> float | None:
    """The score of a name from the best similarity of each query word (0.0 where it found no
    look-alike) and how many of the name's `name_words` words matched some query word; None when
    the name is too unlike the query to offer."""
    score = sum(best) / len(best)
    if score < NAME_MIN_SCORE:
        return None
    coverage = matched_words / name_words
    return round(_SIMILARITY_WEIGHT * score + _COVERAGE_WEIGHT * coverage, 4)


def score_ceiling(similarity_of_one_word: float, query_words: int) -> float:
    """The highest score a name can reach when one query word's best similarity is the given one
    (every other query word matching perfectly, every name word matched)."""
    mean_part = _SIMILARITY_WEIGHT * (similarity_of_one_word + query_words - 1) / query_words
    return mean_part + _COVERAGE_WEIGHT


def score_name(typos: Sequence[tuple[str, int]], candidate: Sequence[str]) -> float | None:
    """`combined_score` of one candidate's words, computing each distance directly."""
    best: list[float] = []
    matched: set[int] = set()
    for token, edits in typos:
        top = 0.0
        for i, word in enumerate(candidate):
            distance = OSA.distance(token, word, score_cutoff=edits)
            if distance <= edits:
                matched.add(i)
                top = max(top, similarity(token, word, distance))
        best.append(top)
    return combined_score(best, len(matched), len(candidate))
