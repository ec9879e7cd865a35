"""Golden tests: the exact index template, settings, documents and query bodies the Elasticsearch
backend sends, written out as literal data. A change to any of them must show up here, in review,
before it reaches a cluster (a mapping change needs a re-import; a query change can change who is
found)."""

from __future__ import annotations

from datetime import date

from search_index.elasticsearch import queries as q
from search_index.elasticsearch.backend import ElasticsearchBackend
from search_index.elasticsearch.client import ClientOptions, with_port
from search_index.elasticsearch.documents import license_doc, mission_doc, person_doc, vehicle_doc
from search_index.elasticsearch.mappings import (
    LOADING_SETTINGS,
    LOCK_MAPPINGS,
    READ_ONLY_SETTINGS,
    SERVING_SETTINGS,
    template_body,
)
from search_index.records import License, Mission, Person, Vehicle
from tests.factories import small_dataset
from tests.search_index.elasticsearch.es_fakes import FakeCluster

KEYWORD = {"type": "keyword"}
IDENTIFIER = {"type": "keyword", "normalizer": "identifier"}

TEMPLATE = {
    "index_patterns": ["dipcheck-records-*"],
    "priority": 200,
    "template": {
        "settings": {
            "number_of_shards": 1,
            "auto_expand_replicas": "0-1",
            "analysis": {
                "char_filter": {
                    "key_separators": {
                        "type": "mapping",
                        "mappings": ["\\u0020 => ", "- => ", ". => ", "/ => "],
                    }
                },
                "normalizer": {
                    "identifier": {
                        "type": "custom",
                        "char_filter": ["key_separators"],
                        "filter": ["asciifolding", "uppercase"],
                    },
                    "name_word": {"type": "custom", "filter": ["asciifolding", "lowercase"]},
                },
                "analyzer": {
                    "person_name": {
                        "type": "custom",
                        "tokenizer": "standard",
                        "filter": ["asciifolding", "lowercase"],
                    }
                },
            },
        },
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "kind": KEYWORD,
                "plate": IDENTIFIER,
                "plate_key": IDENTIFIER,
                "plate_length": {"type": "short"},
                "owner_person_id": KEYWORD,
                "owner_mission_id": KEYWORD,
                "fleet_mission_id": KEYWORD,
                "policy_facts": {"type": "keyword", "index": False},
                "policy_expiry": {"type": "date", "format": "strict_date"},
                "person_id": KEYWORD,
                "mission_id": KEYWORD,
                "principal_id": KEYWORD,
                "travel_control": KEYWORD,
                "travel_zone": KEYWORD,
                "seq": {"type": "integer"},
                "is_family": {"type": "boolean"},
                "country_key": KEYWORD,
                "credential_number": IDENTIFIER,
                "credential_key": IDENTIFIER,
                "name": {"type": "text", "analyzer": "person_name"},
                "name_words": {"type": "keyword", "normalizer": "name_word"},
                "name_key": {"type": "keyword", "index": False},
                "date_of_birth": {"type": "date", "format": "strict_date"},
                "license_number": IDENTIFIER,
                "license_key": IDENTIFIER,
                "record": {"type": "object", "enabled": False},
            },
        },
    },
    "_meta": {"description": "DipCheck published record sets", "managed_by": "dipcheck"},
}


def test_index_template() -> None:
    assert template_body("dipcheck-records-*") == TEMPLATE


def test_every_document_field_is_mapped() -> None:
    """dynamic: strict makes a cluster refuse unmapped fields: check our documents have none."""
    mapped = set(TEMPLATE["template"]["mappings"]["properties"])  # type: ignore[index]
    docs = [
        mission_doc(Mission("M1", "Embassy", "Freedonia", "embassy")),
        person_doc(Person("P1", "M1", "Doe", "diplomatic_agent", "active"), "Freedonia", 1),
        vehicle_doc(Vehicle("D0123A", "active", owner_person_id="P1"), "M1"),
        license_doc(License("L1", "P1", "valid")),
    ]
    for doc in docs:
        assert set(doc) <= mapped, set(doc) - mapped


def test_load_and_publish_settings() -> None:
    assert LOADING_SETTINGS == {
        "index.refresh_interval": "-1",
        "index.auto_expand_replicas": "false",
        "index.number_of_replicas": 0,
    }
    assert SERVING_SETTINGS == {"index.refresh_interval": None, "index.auto_expand_replicas": "0-1"}
    assert READ_ONLY_SETTINGS == {"index.blocks.write": True}
    assert LOCK_MAPPINGS == {
        "dynamic": "strict",
        "properties": {
            "owner": KEYWORD,
            "expires_at": {"type": "double"},
            "acquired_at": {"type": "double"},
        },
    }


def test_person_document() -> None:
    person = Person(
        "P1",
        "M1",
        "Müller",
        "diplomatic_agent",
        "active",
        given_names="Anna Maria",
        date_of_birth=date(1980, 5, 17),
        credential_number="DA12345",
        flags=("watch",),
    )
    assert person_doc(person, "Côte d'Ivoire", 7) == {
        "kind": "person",
        "seq": 7,
        "person_id": "P1",
        "mission_id": "M1",
        "principal_id": None,
        "is_family": False,
        "country_key": "cote d ivoire",
        "credential_number": "DA12345",
        "credential_key": "0A12345",  # D shares the 0/O/D/Q class
        "name": "Anna Maria Müller",
        "name_words": ["anna", "maria", "muller"],
        "name_key": "anna maria muller",
        "date_of_birth": "1980-05-17",
        "travel_control": "none",
        "travel_zone": None,
        "record": {
            "person_id": "P1",
            "mission_id": "M1",
            "family_name": "Müller",
            "category": "diplomatic_agent",
            "accreditation_status": "active",
            "given_names": "Anna Maria",
            "date_of_birth": "1980-05-17",
            "title": None,
            "principal_id": None,
            "us_national_or_resident": False,
            "immunity_override": None,
            "override_reason": None,
            "accreditation_start": None,
            "accreditation_end": None,
            "credential_number": "DA12345",
            "credential_type": None,
            "credential_expiry": None,
            "credential_status": None,
            "travel_control": "none",
            "travel_zone": None,
            "travel_notice_until": None,
            "flags": ["watch"],
        },
    }


def test_family_member_document_is_marked() -> None:
    child = Person("P2", "M1", "Doe", "family_member", "active", principal_id="P1")
    doc = person_doc(child, None, 2)
    assert (doc["is_family"], doc["principal_id"], doc["country_key"]) == (True, "P1", "")


def test_vehicle_document() -> None:
    vehicle = Vehicle("DO123A", "active", owner_person_id="P1", year=2020)
    doc = vehicle_doc(vehicle, "M1")
    assert {k: v for k, v in doc.items() if k != "record"} == {
        "kind": "vehicle",
        "plate": "DO123A",
        "plate_key": "00123A",  # O and 0 share a confusion class, represented by 0
        "plate_length": 6,
        "owner_person_id": "P1",
        "owner_mission_id": None,
        "fleet_mission_id": "M1",
        "policy_facts": '["car",false,null,null,false,null,null,null,null]',
        "policy_expiry": None,
    }
    assert doc["record"]["year"] == 2020
    assert doc["record"]["registration_expiry"] is None


def test_mission_and_license_documents() -> None:
    assert mission_doc(Mission("M1", "Embassy", "Freedonia", "embassy")) == {
        "kind": "mission",
        "mission_id": "M1",
        "record": {
            "mission_id": "M1",
            "name": "Embassy",
            "country": "Freedonia",
            "mission_type": "embassy",
            "city": None,
            "state": None,
            "phone": None,
            "latitude": None,
            "longitude": None,
        },
    }
    doc = license_doc(License("L77", "P1", "valid", points=3, expiry=date(2028, 2, 1)))
    assert {k: v for k, v in doc.items() if k != "record"} == {
        "kind": "license",
        "license_number": "L77",
        "license_key": "L77",
        "person_id": "P1",
    }
    assert doc["record"]["expiry"] == "2028-02-01"


def filtered(kind: str, *clauses: object) -> dict[str, object]:
    return {"bool": {"filter": [{"term": {"kind": kind}}, *clauses]}}


def test_plate_queries() -> None:
    assert q.plate_candidates("00123A") == {
        "query": filtered("vehicle", {"term": {"plate_key": "00123A"}}),
        "sort": [{"plate": "asc"}],
        "size": 100,
    }
    assert q.plate_pattern("D?12*", 25) == {
        "query": filtered("vehicle", {"wildcard": {"plate": {"value": "D?12*"}}}),
        "sort": [{"plate_length": "asc"}, {"plate": "asc"}],
        "size": 25,
    }


def test_identifier_queries() -> None:
    assert q.credential("DA12345") == {
        "query": filtered("person", {"term": {"credential_number": "DA12345"}}),
        "sort": [{"person_id": "asc"}],
        "size": 1,
    }
    assert q.credential_candidates("0A12345") == {
        "query": filtered("person", {"term": {"credential_key": "0A12345"}}),
        "sort": [{"credential_number": "asc"}],
        "size": 100,
    }
    assert q.license_candidates("L77") == {
        "query": filtered("license", {"term": {"license_key": "L77"}}),
        "sort": [{"license_number": "asc"}],
        "size": 100,
    }
    assert q.licenses_of(["P1", "P7"]) == {
        "query": filtered("license", {"terms": {"person_id": ["P1", "P7"]}}),
        "collapse": {"field": "person_id"},
        "sort": [{"license_number": "asc"}],
        "size": 2,
    }


def test_relation_queries() -> None:
    assert q.family_of("P1") == {
        "query": filtered("person", {"term": {"principal_id": "P1"}}),
        "sort": [{"seq": "asc"}],
        "size": 200,
    }
    assert q.members_of("M1", 50) == {
        "query": filtered("person", {"term": {"mission_id": "M1"}}),
        "sort": [{"is_family": "asc"}, {"seq": "asc"}],
        "size": 50,
    }
    assert q.vehicles_of_person("P1") == {
        "query": filtered("vehicle", {"term": {"owner_person_id": "P1"}}),
        "sort": [{"plate": "asc"}],
        "size": 200,
    }


FUZZY_ANNA = {
    "fuzzy": {
        "name_words": {
            "value": "anna",
            "fuzziness": 1,
            "transpositions": True,
            "prefix_length": 0,
            "max_expansions": 1000,
        }
    }
}


def test_name_queries() -> None:
    vocabulary = q.name_word_vocabulary([("anna", 1), ("ng", 0)])
    assert vocabulary == {
        "size": 0,
        "query": filtered("person"),
        "aggs": {
            "w0": {
                "filter": FUZZY_ANNA,
                "aggs": {"words": {"terms": {"field": "name_words", "size": 10_000}}},
            },
            "w1": {
                "filter": {"term": {"name_words": "ng"}},
                "aggs": {"words": {"terms": {"field": "name_words", "size": 10_000}}},
            },
        },
    }
    assert q.name_candidates("anna", 1, date_of_birth=None, country_key=None) == {
        "query": filtered("person", FUZZY_ANNA),
        "sort": [{"seq": "asc"}],
        "size": 1000,
        "_source": ["person_id", "name_key", "seq"],
    }
    page2 = q.name_candidates("anna", 1, date_of_birth=None, country_key=None, after=[1000])
    assert page2["search_after"] == [1000]


def test_urls_get_the_schemes_default_port() -> None:
    assert with_port("https://search.example.org") == "https://search.example.org:443"
    assert with_port("http://user:pw@es") == "http://user:pw@es:80"
    assert with_port("http://es:9200") == "http://es:9200"


def test_what_a_plate_lookup_puts_on_the_wire() -> None:
    """The request bodies as the real client serialises them, captured by the fake node."""
    cluster = FakeCluster()
    backend = ElasticsearchBackend(
        "http://es.invalid:9200", options=ClientOptions(node_class=cluster.node_class())
    )
    info = backend.publish(small_dataset())
    index = f"dipcheck-records-{info.dataset_id}"
    del cluster.requests[:]
    with backend.snapshot() as snap:
        snap.find_plate("d o-123 a")
        snap.find_license("l-77")
    sent = [(r.method, r.path, r.params, r.body) for r in cluster.requests]
    assert sent == [
        ("GET", "/dipcheck-records/_mapping", {}, None),
        (
            "POST",
            f"/{index}/_search",
            {},
            {
                "query": filtered("vehicle", {"term": {"plate_key": "00123A"}}),
                "size": 100,
                "sort": [{"plate": "asc"}],
            },
        ),
        ("GET", f"/{index}/_doc/license%3AL77", {}, None),  # the id, URL-encoded
    ]
