"""POST /api/v1/plates:batch: one answer and one audit record per plate, in order, each answer a
single plate lookup's; every plate counts against the allowance; bad input refuses the batch."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lookup.audit.records import records
from lookup.store.base import AuditFilter, AuditRecord
from tests.factories import DIPLOMAT_PLATE
from tests.lookup.api import openapi_support as support
from tests.lookup.conftest import AgencyKeys, AppFactory, agency_with_keys, bearer

URL = "/api/v1/plates:batch"
# Plates on record, confusable with one, and on no record at all.
PLATES = [DIPLOMAT_PLATE, "DVLI234", "ZZZ9999", "dvl-1234"]


def audit_of(app: Flask, agency_id: str) -> list[AuditRecord]:
    with app.app_context():
        return list(records(AuditFilter(agency_id=agency_id)))


def batch(client: FlaskClient, key: str, body: Any, **headers: str) -> Any:
    return client.post(URL, json=body, headers={**bearer(key), **headers})


def test_a_hundred_plates_give_a_hundred_answers_and_audit_records(
    app: Flask, client: FlaskClient, metro: AgencyKeys
) -> None:
    plates = [PLATES[i % len(PLATES)] for i in range(100)]
    response = batch(client, metro.officer_key, {"plates": plates, "reason": "traffic_stop"})
    assert response.status_code == 200
    answers = response.get_json()["answers"]
    assert [a["query"]["typed"] for a in answers] == plates
    entries = audit_of(app, metro.agency.id)
    assert len(entries) == 100
    assert {e.reference for e in entries} == {a["reference"] for a in answers}
    assert {e.action for e in entries} == {"plate"}
    assert response.headers["Cache-Control"] == "no-store"


def test_each_answer_is_the_single_lookups_answer(client: FlaskClient, metro: AgencyKeys) -> None:
    answers = batch(client, metro.officer_key, {"plates": PLATES, "reason": "crash"}).get_json()[
        "answers"
    ]
    document = support.fetch_document(client)
    for plate, answer in zip(PLATES, answers, strict=True):
        single = client.get(
            f"/api/v1/plates/{plate}?reason=crash", headers=bearer(metro.officer_key)
        ).get_json()
        assert support.shape_differences(single, answer) == []
        drop = ("reference",)
        assert {k: v for k, v in answer.items() if k not in drop} == {
            k: v for k, v in single.items() if k not in drop
        }
        assert support.schema_errors(document, "getPlate", 200, answer) == []
    assert [len(a["matches"]) > 0 for a in answers] == [True, True, False, True]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"plates": [], "reason": "crash"}, "plates"),
        ({"plates": ["DVL1234"] * 101, "reason": "crash"}, "plates"),
        ({"plates": "DVL1234", "reason": "crash"}, "plates"),
        ({"reason": "crash"}, "plates"),
        ({"plates": ["DVL1234", "!!"], "reason": "crash"}, "plates"),
        ({"plates": ["DVL1234", 7], "reason": "crash"}, "plates"),
        ({"plates": ["DVL1234"]}, "reason"),
        ({"plates": ["DVL1234"], "reason": "curiosity"}, "reason"),
        (["DVL1234"], "body"),
    ],
)
def test_bad_input_refuses_the_whole_batch_naming_the_field(
    app: Flask, client: FlaskClient, metro: AgencyKeys, body: Any, field: str
) -> None:
    response = batch(client, metro.officer_key, body)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field
    [entry] = audit_of(app, metro.agency.id)  # one record of the refusal, no lookups
    assert (entry.outcome, entry.detail["field"]) == ("denied", field)


def test_credentials_come_first(client: FlaskClient) -> None:
    response = client.post(URL, json={"plates": []})
    assert response.status_code == 401


def test_each_plate_counts_against_the_allowance(make_app: AppFactory) -> None:
    app = make_app(ratelimit_lookups="150/minute")
    metro = agency_with_keys(app, "Metro Police")
    client = app.test_client()
    body = {"plates": [DIPLOMAT_PLATE] * 100, "reason": "crash"}
    first = batch(client, metro.officer_key, body)
    assert first.status_code == 200
    assert first.headers["X-RateLimit-Remaining"] == "50"
    assert "Retry-After" not in first.headers
    refused = batch(client, metro.officer_key, body)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    # The refused batch used nothing up: fifty single lookups still fit.
    url = f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=crash"
    statuses = {client.get(url, headers=bearer(metro.officer_key)).status_code for _ in range(50)}
    assert statuses == {200}
    assert client.get(url, headers=bearer(metro.officer_key)).status_code == 429
    lookups = [e for e in audit_of(app, metro.agency.id) if e.outcome != "denied"]
    assert len(lookups) == 150


def test_the_officer_named_is_kept_for_every_plate(
    app: Flask, client: FlaskClient, metro: AgencyKeys
) -> None:
    body = {"plates": PLATES, "reason": "crash"}
    assert batch(client, metro.officer_key, body, **{"X-On-Behalf-Of": "B-7"}).status_code == 200
    assert {e.on_behalf_of for e in audit_of(app, metro.agency.id)} == {"B-7"}
