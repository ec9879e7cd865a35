"""Search request bodies the Elasticsearch backend sends, as pure functions of normalized input.

Elasticsearch only shortlists; ranking happens in Python with the functions the SQLite backend
uses (search_index.confusables), so both backends order results the same way. Sorting here exists
only where a limit cuts a list, so that the cut keeps the same records on both backends.
"""

from __future__ import annotations

from datetime import date
from typing import Any

Json = dict[str, Any]

# Shortlist sizes: far above what one key or one family can hold, small enough to stay cheap.
PLATE_CANDIDATES = 100
# Numbers that share a confusable key: as for plates, far more than real data ever holds.
NUMBER_CANDIDATES = 100
RELATED = 200
NAME_PAGE = 1000
NAME_EXPANSIONS = 1000
NAME_VOCABULARY = 10_000  # distinct name words one query word's persons may carry
# Persons per licence request: within the default result window (10,000) and terms limit.
LICENSE_HOLDERS = 1000
# Principals whose families one search reads: RELATED each stays within the 10,000 hits a
# search may return.
FAMILY_HEADS = 50

IN_FILE_ORDER = [{"seq": "asc"}]


def _filtered(kind: str, *clauses: Json) -> Json:
    return {"bool": {"filter": [{"term": {"kind": kind}}, *clauses]}}


def plate_candidates(key: str) -> Json:
    """Every vehicle whose confusable key is `key` (the exact plate shares it)."""
    return {
        "query": _filtered("vehicle", {"term": {"plate_key": key}}),
        "sort": [{"plate": "asc"}],
        "size": PLATE_CANDIDATES,
    }


def plate_pattern(wildcard: str, limit: int) -> Json:
    """Vehicles whose plate matches a `?`/`*` pattern; shorter plates first (the pattern then
    pins down more of the plate, the same order as PlatePattern.score), then by plate."""
    return {
        "query": _filtered("vehicle", {"wildcard": {"plate": {"value": wildcard}}}),
        "sort": [{"plate_length": "asc"}, {"plate": "asc"}],
        "size": limit,
    }


def credential(number: str) -> Json:
    return {
        "query": _filtered("person", {"term": {"credential_number": number}}),
        "sort": [{"person_id": "asc"}],
        "size": 1,
    }


def credential_candidates(key: str) -> Json:
    """Every person whose ID card number has the confusable key `key` (the exact one shares it)."""
    return {
        "query": _filtered("person", {"term": {"credential_key": key}}),
        "sort": [{"credential_number": "asc"}],
        "size": NUMBER_CANDIDATES,
    }


def license_candidates(key: str) -> Json:
    """Every licence whose number has the confusable key `key`."""
    return {
        "query": _filtered("license", {"term": {"license_key": key}}),
        "sort": [{"license_number": "asc"}],
        "size": NUMBER_CANDIDATES,
    }


def licenses_of(person_ids: list[str]) -> Json:
    """The licences of these (distinct) persons, one per person: collapsing on the holder keeps
    each person's first licence in sort order, the lowest number (as on SQLite)."""
    return {
        "query": _filtered("license", {"terms": {"person_id": person_ids}}),
        "collapse": {"field": "person_id"},
        "sort": [{"license_number": "asc"}],
        "size": len(person_ids),
    }


def family_of(person_id: str) -> Json:
    return {
        "query": _filtered("person", {"term": {"principal_id": person_id}}),
        "sort": IN_FILE_ORDER,
        "size": RELATED,
    }


def families_of(person_ids: list[str]) -> Json:
    """The families of these (distinct) persons, in file order: room for `RELATED` members
    each, so only a page filled to the brim can have cut one short."""
    return {
        "query": _filtered("person", {"terms": {"principal_id": person_ids}}),
        "sort": IN_FILE_ORDER,
        "size": RELATED * len(person_ids),
    }


def members_of(mission_id: str, limit: int) -> Json:
    return {
        "query": _filtered("person", {"term": {"mission_id": mission_id}}),
        "sort": [{"is_family": "asc"}, *IN_FILE_ORDER],
        "size": limit,
    }


def vehicles_of_person(person_id: str) -> Json:
    return {
        "query": _filtered("vehicle", {"term": {"owner_person_id": person_id}}),
        "sort": [{"plate": "asc"}],
        "size": RELATED,
    }


def _name_filters(date_of_birth: date | None, country_key: str | None) -> list[Json]:
    clauses: list[Json] = []
    if date_of_birth is not None:
        clauses.append({"term": {"date_of_birth": date_of_birth.isoformat()}})
    if country_key is not None:
        clauses.append({"term": {"country_key": country_key}})
    return clauses


def name_word(token: str, edits: int) -> Json:
    """Persons with a name word within `edits` typos of `token` (a transposition is one typo,
    as in the OSA distance the ranking uses)."""
    if edits == 0:
        return {"term": {"name_words": token}}
    return {
        "fuzzy": {
            "name_words": {
                "value": token,
                "fuzziness": edits,
                "transpositions": True,
                "prefix_length": 0,
                # Every look-alike word must be expanded, or candidates would go missing.
                "max_expansions": NAME_EXPANSIONS,
            }
        }
    }


def name_word_vocabulary(words: list[tuple[str, int]]) -> Json:
    """For each query word, the name words of the persons it reaches, each with how many persons
    carry it, in one request. The backend keeps the look-alike words (within the typos allowed)
    and sums their counts: the SQLite backend's measure of how many candidates a word brings,
    over the whole set, so both backends start from the same word."""
    return {
        "size": 0,
        "query": _filtered("person"),
        "aggs": {
            f"w{i}": {
                "filter": name_word(t, e),
                "aggs": {"words": {"terms": {"field": "name_words", "size": NAME_VOCABULARY}}},
            }
            for i, (t, e) in enumerate(words)
        },
    }


def name_candidates(
    token: str,
    edits: int,
    *,
    date_of_birth: date | None,
    country_key: str | None,
    after: list[Any] | None = None,
) -> Json:
    """One page of the persons reached by one query word: only what the ranking reads."""
    body: Json = {
        "query": _filtered(
            "person", name_word(token, edits), *_name_filters(date_of_birth, country_key)
        ),
        "sort": [{"seq": "asc"}],
        "size": NAME_PAGE,
        "_source": ["person_id", "name_key", "seq"],
    }
    if after is not None:
        body["search_after"] = after
    return body


# Buckets per composite-aggregation page: far below the cluster's search.max_buckets (65,536).
POLICY_GROUPS_PAGE = 5000
FLEET_PAGE = 1000
MISSIONS_PAGE = 1000


def policy_groups(after: Json | None) -> Json:
    """One page of (fleet, policy facts) buckets with their vehicle counts; no hits."""
    composite: Json = {
        "size": POLICY_GROUPS_PAGE,
        "sources": [
            {"mission": {"terms": {"field": "fleet_mission_id"}}},
            {"facts": {"terms": {"field": "policy_facts"}}},
        ],
    }
    if after is not None:
        composite["after"] = after
    return {
        "query": _filtered("vehicle"),
        "size": 0,
        "track_total_hits": False,
        "aggs": {"groups": {"composite": composite}},
    }


def expired_before(day: date, after: list[Any] | None) -> Json:
    body: Json = {
        "query": _filtered(
            "vehicle",
            {"range": {"policy_expiry": {"lt": day.isoformat()}}},
            {"exists": {"field": "fleet_mission_id"}},
        ),
        "sort": [{"plate": "asc"}],
        "size": FLEET_PAGE,
    }
    if after is not None:
        body["search_after"] = after
    return body


def fleet_of(mission_id: str, after: list[Any] | None) -> Json:
    body: Json = {
        "query": _filtered("vehicle", {"term": {"fleet_mission_id": mission_id}}),
        "sort": [{"plate": "asc"}],
        "size": FLEET_PAGE,
    }
    if after is not None:
        body["search_after"] = after
    return body


def credential_holders(after: list[Any] | None) -> Json:
    """Every person with an ID card number, by person id."""
    body: Json = {
        "query": _filtered("person", {"exists": {"field": "credential_number"}}),
        "sort": [{"person_id": "asc"}],
        "size": MISSIONS_PAGE,
    }
    if after is not None:
        body["search_after"] = after
    return body


def all_vehicles(after: list[Any] | None) -> Json:
    """Every vehicle, by plate."""
    body: Json = {"query": _filtered("vehicle"), "sort": [{"plate": "asc"}], "size": FLEET_PAGE}
    if after is not None:
        body["search_after"] = after
    return body


def missions(after: list[Any] | None) -> Json:
    body: Json = {
        "query": _filtered("mission"),
        "sort": [{"mission_id": "asc"}],
        "size": MISSIONS_PAGE,
    }
    if after is not None:
        body["search_after"] = after
    return body


# (zone, regime) buckets per composite page: a handful exist (two zones or none, two regimes).
TRAVEL_PAGE = 100


def _travel_controlled() -> Json:
    return {
        "bool": {
            "filter": [{"term": {"kind": "person"}}],
            "must_not": [{"term": {"travel_control": "none"}}],
        }
    }


def travel_control_counts(after: Json | None) -> Json:
    """One page of (travel zone, regime) buckets of the persons under control; no hits."""
    composite: Json = {
        "size": TRAVEL_PAGE,
        "sources": [
            {"zone": {"terms": {"field": "travel_zone", "missing_bucket": True}}},
            {"regime": {"terms": {"field": "travel_control"}}},
        ],
    }
    if after is not None:
        composite["after"] = after
    return {
        "query": _travel_controlled(),
        "size": 0,
        "track_total_hits": False,
        "aggs": {"groups": {"composite": composite}},
    }


def travel_controlled(after: list[Any] | None) -> Json:
    """Persons under a travel-control regime, by mission then person."""
    body: Json = {
        "query": _travel_controlled(),
        "sort": [{"mission_id": "asc"}, {"person_id": "asc"}],
        "size": MISSIONS_PAGE,
    }
    if after is not None:
        body["search_after"] = after
    return body
