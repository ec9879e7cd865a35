"""Real answers against the pydantic models of lookup/answers/models.py.

lookup/answers/build.py writes its dicts by hand (validating models per request was most of a
lookup's CPU), while the OpenAPI document is generated from the models. These tests keep the two
equal: every answer built from the test factories and from the demo data, on days that put records
in each of their states, must validate against its model and dump back to the same JSON, key order
included.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from lookup.answers.build import (
    AnswerContext,
    credential_matches_json,
    license_matches_json,
    person_hits_json,
    person_json,
    plate_matches_json,
)
from lookup.answers.models import (
    CredentialMatchOut,
    LicenseMatchOut,
    PersonHitOut,
    PersonOut,
    PlateMatchOut,
)
from search_index.demo_data import write_demo_data
from search_index.importer import load_directory
from search_index.records import Dataset, NumberMatch, PersonHit, PlateMatch, Substitution
from tests.factories import small_dataset
from tests.lookup.fakes import FakeSnapshot

# Days around the factories' and the demo data's dates, so that accreditations, cards, licences,
# registrations and policies are seen before, during and after their validity.
DAYS = (date(2020, 1, 1), date(2026, 3, 15), date(2026, 11, 24), date(2031, 6, 30))
# The demo data spreads its records' states around the day it is generated for.
DEMO_DAY = date(2026, 11, 24)


def _answers(
    dataset: Dataset, days: tuple[date, ...]
) -> Iterator[tuple[type[BaseModel], dict[str, Any]]]:
    snapshot = FakeSnapshot(
        missions=dataset.missions,
        persons=dataset.persons,
        vehicles=dataset.vehicles,
        licenses=dataset.licenses,
    )
    for today in days:
        for with_birth in (True, False):
            ctx = AnswerContext(
                today=today, verify_phone="(571) 345-3146", include_date_of_birth=with_birth
            )
            for vehicle in dataset.vehicles:
                yield (
                    PlateMatchOut,
                    plate_matches_json(snapshot, [PlateMatch("exact", 1.0, vehicle)], ctx)[0],
                )
                substitution = Substitution(position=0, typed="0", matched="O")
                match = PlateMatch("confusable", 0.5, vehicle, (substitution,))
                yield PlateMatchOut, plate_matches_json(snapshot, [match], ctx)[0]
            for person in dataset.persons:
                yield PersonOut, person_json(snapshot, person, ctx)
                card = NumberMatch("confusable", 0.9, person, (substitution,))
                yield CredentialMatchOut, credential_matches_json(snapshot, [card], ctx)[0]
                yield PersonHitOut, person_hits_json(snapshot, [PersonHit(person, 2.5)], ctx)[0]
            for licence in dataset.licenses:
                found = NumberMatch("exact", 1.0, licence)
                yield LicenseMatchOut, license_matches_json(snapshot, [found], ctx)[0]


def _check(dataset: Dataset, days: tuple[date, ...]) -> dict[str, set[str]]:
    """Validate every answer; return the states seen, so a test can show it covered them."""
    seen: dict[str, set[str]] = {"kind": set(), "level": set(), "basis": set(), "insurance": set()}
    for model, answer in _answers(dataset, days):
        dumped = model.model_validate(answer).model_dump(mode="json")
        assert json.dumps(dumped) == json.dumps(answer), model.__name__
        seen["kind"].add(model.__name__)
        people = answer.get("persons") or [answer.get("person") or answer]
        for person in people:
            if "immunity" in person:
                seen["level"].add(person["immunity"]["level"])
                seen["basis"].add(person["immunity"]["basis_code"])
        if "vehicle" in answer:
            seen["insurance"].add(answer["vehicle"]["insurance"]["status"])
    return seen


def test_factory_answers_match_the_models() -> None:
    seen = _check(small_dataset(), DAYS)
    assert seen["kind"] == {
        "PlateMatchOut",
        "PersonOut",
        "PersonHitOut",
        "CredentialMatchOut",
        "LicenseMatchOut",
    }
    assert {"full", "none", "unverified"} <= seen["level"]
    assert {"category_default", "family", "accreditation_not_active"} <= seen["basis"]


@pytest.fixture(scope="module")
def demo_dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    directory: Path = tmp_path_factory.mktemp("demo")
    write_demo_data(directory, scale="small", seed=3, today=DEMO_DAY)
    return load_directory(directory)


def test_demo_answers_match_the_models(demo_dataset: Dataset) -> None:
    seen = _check(demo_dataset, (DEMO_DAY,))
    assert seen["level"] == {"full", "official_acts", "none", "unverified"}
    assert {
        "category_default",
        "family",
        "us_national",
        "ofm_override",
        "accreditation_not_active",
    } <= seen["basis"]
    assert {"active", "lapsed", "none"} <= seen["insurance"]


def test_a_wrong_answer_fails_the_check() -> None:
    """The check itself can fail: a key out of the models' order is caught."""
    dataset = small_dataset()
    snapshot = FakeSnapshot(persons=dataset.persons, missions=dataset.missions)
    ctx = AnswerContext(today=DAYS[1], verify_phone="(571) 345-3146")
    answer = person_json(snapshot, dataset.persons[0], ctx)
    reordered = {"name": answer.pop("name"), **answer}
    dumped = PersonOut.model_validate(reordered).model_dump(mode="json")
    assert json.dumps(dumped) != json.dumps(reordered)
