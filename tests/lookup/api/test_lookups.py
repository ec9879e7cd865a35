"""The lookup routes answer the DESIGN.md contract and audit every lookup before answering."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lookup.audit.records import records
from lookup.store.base import AuditFilter, AuditRecord
from tests.factories import (
    DIPLOMAT_CREDENTIAL,
    DIPLOMAT_ID,
    DIPLOMAT_LICENSE,
    DIPLOMAT_PLATE,
)
from tests.lookup.conftest import AgencyKeys, AppFactory, bearer


def audit_of(app: Flask, agency_id: str) -> list[AuditRecord]:
    with app.app_context():
        return list(records(AuditFilter(agency_id=agency_id)))


def get(client: FlaskClient, url: str, key: str) -> Any:
    return client.get(url, headers=bearer(key))


def test_exact_plate_answer_has_the_contract_fields(
    app: Flask, client: FlaskClient, metro: AgencyKeys
) -> None:
    response = get(client, "/api/v1/plates/dvl-1234?reason=traffic_stop", metro.officer_key)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"matches", "reference", "data_as_of", "data_stale", "query", "verify"}
    assert body["data_stale"] is False  # published moments ago
    assert body["query"] == {
        "kind": "plate",
        "typed": "dvl-1234",
        "normalized": DIPLOMAT_PLATE,
        "reason": "traffic_stop",
    }
    first = body["matches"][0]
    assert first["match"] == "exact"
    assert first["vehicle"]["plate"] == DIPLOMAT_PLATE
    assert "registrant, not the driver" in first["notice"]
    assert {"registration", "insurance"} <= set(first["vehicle"])
    assert body["verify"]["phone"] == "(571) 345-3146"
    assert response.headers["Cache-Control"] == "no-store"
    [entry] = audit_of(app, metro.agency.id)
    assert entry.reference == body["reference"]
    assert (entry.channel, entry.action, entry.query, entry.reason, entry.outcome) == (
        "api",
        "plate",
        "dvl-1234",
        "traffic_stop",
        "match",
    )
    assert entry.actor == f"apikey:{metro.officer_key_id}"
    assert entry.client == "127.0.0.1"


def test_confusable_plate_names_the_substitutions(client: FlaskClient, metro: AgencyKeys) -> None:
    # Letter O for digit 0 and letter I for digit 1: the set holds CCR0581, nobody holds CCRO58I.
    response = get(client, "/api/v1/plates/ccro58i?reason=crash", metro.officer_key)
    assert response.status_code == 200
    [match] = response.get_json()["matches"]
    assert match["match"] == "confusable"
    assert match["vehicle"]["plate"] == "CCR0581"
    assert match["substitutions"] == [
        {"position": 3, "typed": "O", "matched": "0"},
        {"position": 6, "typed": "I", "matched": "1"},
    ]
    assert 0 < match["score"] < 1


@pytest.mark.parametrize(
    ("url", "kind", "match_check"),
    [
        (
            f"/api/v1/credentials/{DIPLOMAT_CREDENTIAL}?reason=investigation",
            "credential",
            lambda m: m["person_id"] == DIPLOMAT_ID and m["match"] == "exact",
        ),
        (
            # DA123456 read with a zero for its D: the card, its one substitution named.
            "/api/v1/credentials/0A123456?reason=investigation",
            "credential",
            lambda m: (
                m["person_id"] == DIPLOMAT_ID
                and m["match"] == "confusable"
                and m["substitutions"] == [{"position": 0, "typed": "0", "matched": "D"}]
            ),
        ),
        (
            f"/api/v1/licenses/{DIPLOMAT_LICENSE}?reason=citation_follow_up",
            "license",
            lambda m: (
                m["license"]["license_number"] == DIPLOMAT_LICENSE
                and m["person"]["person_id"] == DIPLOMAT_ID
                and (m["match"], m["substitutions"]) == ("exact", [])
            ),
        ),
        (
            # OFM100200 typed with a letter O for its last zero.
            "/api/v1/licenses/OFM10020O?reason=citation_follow_up",
            "license",
            lambda m: (
                m["license"]["license_number"] == DIPLOMAT_LICENSE
                and m["match"] == "confusable"
                and m["substitutions"] == [{"position": 8, "typed": "O", "matched": "0"}]
            ),
        ),
        (
            "/api/v1/persons?name=mirela%20ostrander&reason=crash",
            "person",
            lambda m: m["person_id"] == DIPLOMAT_ID and "score" in m,
        ),
        (
            "/api/v1/plates?pattern=DVL12*&reason=crash",
            "plate_pattern",
            lambda m: m["vehicle"]["plate"].startswith("DVL12"),
        ),
    ],
)
def test_each_lookup_kind_answers_and_audits(
    app: Flask,
    client: FlaskClient,
    metro: AgencyKeys,
    url: str,
    kind: str,
    match_check: Any,
) -> None:
    response = get(client, url, metro.officer_key)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["query"]["kind"] == kind
    assert body["matches"]
    assert match_check(body["matches"][0])
    [entry] = audit_of(app, metro.agency.id)
    assert (entry.action, entry.outcome, entry.reference) == (kind, "match", body["reference"])


def test_no_match_is_an_empty_list_with_a_reference(
    app: Flask, client: FlaskClient, metro: AgencyKeys
) -> None:
    response = get(client, "/api/v1/credentials/ZZ999999?reason=crash", metro.officer_key)
    body = response.get_json()
    assert response.status_code == 200
    assert body["matches"] == []
    [entry] = audit_of(app, metro.agency.id)
    assert (entry.outcome, entry.reference) == ("no_match", body["reference"])


def test_references_are_unique_and_quotable(client: FlaskClient, metro: AgencyKeys) -> None:
    references = {
        get(client, "/api/v1/plates/DVL1234?reason=crash", metro.officer_key).get_json()[
            "reference"
        ]
        for _ in range(20)
    }
    assert len(references) == 20
    for reference in references:
        assert reference.startswith("DC-")
        assert len(reference) == len("DC-XXXXX-XXXXX")


def test_audit_record_carries_the_request_id_and_the_client_address(
    app: Flask, client: FlaskClient, metro: AgencyKeys
) -> None:
    headers = bearer(metro.officer_key) | {
        "X-Request-Id": "cad-0042-alpha",
        "X-Forwarded-For": "203.0.113.9",  # not believed: no proxy is configured
    }
    client.get("/api/v1/plates/DVL1234?reason=crash", headers=headers)
    [entry] = audit_of(app, metro.agency.id)
    assert entry.detail["request_id"] == "cad-0042-alpha"
    assert entry.client == "127.0.0.1"


def test_behind_a_trusted_proxy_the_forwarded_client_is_audited(
    make_app: AppFactory, metro: AgencyKeys
) -> None:
    app = make_app(trusted_proxies=1)
    headers = bearer(metro.officer_key) | {"X-Forwarded-For": "198.51.100.7, 203.0.113.9"}
    app.test_client().get("/api/v1/plates/DVL1234?reason=crash", headers=headers)
    [entry] = audit_of(app, metro.agency.id)
    # One trusted hop: only the address that proxy saw counts, not what the client claimed.
    assert entry.client == "203.0.113.9"
