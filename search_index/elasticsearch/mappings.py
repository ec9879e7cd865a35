"""The index template, settings and mappings of the published record indices, as data.

Every value the backend looks up (plate, confusable key, credential and licence numbers) is
normalized in Python before it is indexed and before it is queried (search_index.normalize and
search_index.confusables), exactly as the SQLite backend does. The keyword normalizers below are
a second line of defence: idempotent on already-normalized values, they also make a hand-written
query against the cluster (an operator's curl) forgive case, accents and separators.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

TEMPLATE_PRIORITY = 200

ANALYSIS: Json = {
    "char_filter": {
        # Spaces, hyphens, dots and slashes inside plates and numbers (replacement may be empty).
        "key_separators": {
            "type": "mapping",
            "mappings": ["\\u0020 => ", "- => ", ". => ", "/ => "],
        }
    },
    "normalizer": {
        # Plates, credential and licence numbers: [A-Z0-9] only, whatever was typed.
        "identifier": {
            "type": "custom",
            "char_filter": ["key_separators"],
            "filter": ["asciifolding", "uppercase"],
        },
        # Name words arrive normalized; this keeps a hand-typed query forgiving too.
        "name_word": {"type": "custom", "filter": ["asciifolding", "lowercase"]},
    },
    "analyzer": {
        # Names: accent- and case-insensitive words; word order does not matter to a match query.
        "person_name": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["asciifolding", "lowercase"],
        }
    },
}

KEY = {"type": "keyword", "normalizer": "identifier"}
ID = {"type": "keyword"}

MAPPINGS: Json = {
    "dynamic": "strict",
    "properties": {
        "kind": ID,
        # vehicles
        "plate": KEY,
        "plate_key": KEY,  # confusable_key(plate): plates one misreading apart share it
        "plate_length": {"type": "short"},  # partial matches rank shorter plates first
        "owner_person_id": ID,
        "owner_mission_id": ID,
        "fleet_mission_id": ID,  # the mission itself or the owner's mission (OFM compliance)
        "policy_facts": {"type": "keyword", "index": False},  # es_documents.policy_facts
        "policy_expiry": {"type": "date", "format": "strict_date"},  # long-lapsed policies
        # persons
        "person_id": ID,
        "mission_id": ID,
        "principal_id": ID,
        "travel_control": ID,  # none, notify, approval (OFM's travel-control export)
        "travel_zone": ID,  # dc, nyc or none given (OFM's chart by zone and regime)
        "seq": {"type": "integer"},  # position in the import file: member lists keep file order
        "is_family": {"type": "boolean"},
        "country_key": ID,  # normalize_name(mission country), what the name search filters on
        "credential_number": KEY,
        "credential_key": KEY,  # confusable_key(credential_number), as plate_key for plates
        # The name search shortlists on `name_words` (normalize_name words, computed in Python
        # like the SQLite backend's) with fuzzy term queries; `name` is the same name analyzed
        # for people who query the cluster by hand (accent- and case-insensitive words).
        "name": {"type": "text", "analyzer": "person_name"},
        "name_words": {"type": "keyword", "normalizer": "name_word"},
        "name_key": {"type": "keyword", "index": False},  # the words in order, for ranking
        "date_of_birth": {"type": "date", "format": "strict_date"},
        # licences
        "license_number": KEY,
        "license_key": KEY,  # confusable_key(license_number)
        # the whole record, returned as stored and never searched
        "record": {"type": "object", "enabled": False},
    },
}


def template_body(index_pattern: str) -> Json:
    """The composable index template every `<prefix>-records-*` index is created from."""
    return {
        "index_patterns": [index_pattern],
        "priority": TEMPLATE_PRIORITY,
        "template": {
            "settings": {
                "number_of_shards": 1,
                # One replica where a second node exists, none on a single-node cluster (green).
                "auto_expand_replicas": "0-1",
                "analysis": ANALYSIS,
            },
            "mappings": MAPPINGS,
        },
        "_meta": {"description": "DipCheck published record sets", "managed_by": "dipcheck"},
    }


# While a bulk load runs: no refreshes (one segment build at the end) and no replica to feed.
LOADING_SETTINGS: Json = {
    "index.refresh_interval": "-1",
    "index.auto_expand_replicas": "false",
    "index.number_of_replicas": 0,
}

# After the load, before publishing: back to the template's values, then read-only.
SERVING_SETTINGS: Json = {
    "index.refresh_interval": None,
    "index.auto_expand_replicas": "0-1",
}
READ_ONLY_SETTINGS: Json = {"index.blocks.write": True}

LOCK_MAPPINGS: Json = {
    "dynamic": "strict",
    "properties": {
        "owner": ID,
        "expires_at": {"type": "double"},  # epoch seconds: after this the lease may be taken
        "acquired_at": {"type": "double"},
    },
}
