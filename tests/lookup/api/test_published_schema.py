"""Live answers hold to the published OpenAPI document: a sample of 1,000 lookups (plates,
ID cards, licences, names) on the synthetic demo data, each checked with a JSON-schema validator
against the document the app serves, not against the models it was generated from."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from jsonschema import Draft202012Validator

from lookup.extensions import search_backend
from search_index.demo_data import write_demo_data
from search_index.importer import load_directory
from search_index.records import Dataset
from tests.lookup.api import openapi_support as support
from tests.lookup.conftest import AppFactory, agency_with_keys, bearer

SAMPLE = 1000
DEMO_DAY = date(2026, 11, 24)
Request = tuple[str, str, dict[str, str]]  # operationId, path, query


@pytest.fixture
def demo(make_app: AppFactory, tmp_path: Path) -> tuple[Flask, Dataset]:
    directory = tmp_path / "demo"
    write_demo_data(directory, scale="small", seed=5, today=DEMO_DAY)
    dataset = load_directory(directory)
    app = make_app(publish=False, ratelimit_lookups="100000/minute")
    with app.app_context():
        search_backend().publish(dataset)
    return app, dataset


def sample(dataset: Dataset, count: int, seed: int = 17) -> list[Request]:
    """`count` lookups spread over the four kinds, drawn from the published set; one in ten
    asks for something on no record, and partial plates and confusable typos come too."""
    rng = random.Random(seed)
    numbers = [p.credential_number for p in dataset.persons if p.credential_number]
    kinds = ("plate", "pattern", "credential", "license", "person")
    out: list[Request] = []
    for n in range(count):
        kind = kinds[n % len(kinds)]
        missing = rng.random() < 0.1
        if kind == "plate":
            plate = "ZZZ9Q9Q" if missing else rng.choice(dataset.vehicles).plate
            typo = plate.replace("O", "0", 1) if rng.random() < 0.3 else plate
            out.append(("getPlate", f"/api/v1/plates/{quote(typo)}", {"reason": "traffic_stop"}))
        elif kind == "pattern":
            plate = rng.choice(dataset.vehicles).plate
            out.append(
                ("searchPlates", "/api/v1/plates", {"pattern": plate[:4] + "*", "reason": "crash"})
            )
        elif kind == "credential":
            number = "XX000000" if missing else rng.choice(numbers)
            out.append(("getCredential", f"/api/v1/credentials/{number}", {"reason": "crash"}))
        elif kind == "license":
            number = "OFM000000" if missing else rng.choice(dataset.licenses).license_number
            out.append(("getLicense", f"/api/v1/licenses/{number}", {"reason": "crash"}))
        else:
            person = rng.choice(dataset.persons)
            name = "Zzyzx Qwerty" if missing else f"{person.family_name} {person.given_names}"
            out.append(("searchPersons", "/api/v1/persons", {"name": name, "reason": "other"}))
    return out


def test_a_thousand_live_answers_validate_against_the_published_schema(
    demo: tuple[Flask, Dataset],
) -> None:
    app, dataset = demo
    keys = agency_with_keys(app, "Metro Police")
    client = app.test_client()
    document = support.fetch_document(client)
    validators = {
        operation_id: Draft202012Validator(support.response_schema(document, operation_id, 200))
        for operation_id in ("getPlate", "searchPlates", "getCredential", "getLicense",
                             "searchPersons")
    }  # fmt: skip
    matched: Counter[str] = Counter()
    for operation_id, path, query in sample(dataset, SAMPLE):
        response = client.get(path, query_string=query, headers=bearer(keys.officer_key))
        assert response.status_code == 200, (path, query, response.get_json())
        answer = response.get_json()
        errors = [e.message for e in validators[operation_id].iter_errors(answer)]
        assert errors == [], (path, query, errors[:3])
        matched[operation_id] += bool(answer["matches"])
    # The sample reached real records of every kind, not only empty answers. (That the check
    # fails on a wrong answer: test_openapi_document.test_an_answer_that_breaks_the_schema...)
    assert all(matched[operation_id] > 50 for operation_id in validators), matched
