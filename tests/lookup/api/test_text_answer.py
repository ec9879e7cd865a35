"""`?format=text` / `Accept: text/plain`: the same answer as lines of at most 80 characters, in
the SMS channel's words, with the reference and the data's age."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from lookup.answers.text import phrases
from lookup.api.text_answer import WIDTH, render, render_batch
from lookup.audit.records import records
from lookup.store.base import AuditFilter
from tests.lookup.api import openapi_support as support
from tests.lookup.conftest import AgencyKeys, bearer

PLATE = "/api/v1/plates/DVL1234?reason=crash"


def lines_of(text: str) -> list[str]:
    # splitlines: any Unicode line boundary a terminal might break on counts as a new line.
    return text.splitlines()


def test_format_text_answers_plain_lines_with_the_reference(
    app: Flask, client: FlaskClient, metro: AgencyKeys
) -> None:
    response = client.get(PLATE + "&format=text", headers=bearer(metro.officer_key))
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    with app.app_context():
        [entry] = list(records(AuditFilter(agency_id=metro.agency.id)))
    assert f"REF {entry.reference} " in text
    assert " AGE " in text
    assert f"{phrases.LEVEL['full']}: {phrases.ARREST['no']}" in text
    assert all(len(line) <= WIDTH for line in lines_of(text))


@pytest.mark.parametrize(
    ("accept", "text"),
    [
        ("text/plain", True),
        ("application/json, text/plain;q=0.5", False),
        ("*/*", False),
        ("text/plain, application/json;q=0.9", True),
    ],
)
def test_the_accept_header_chooses_when_format_is_not_given(
    client: FlaskClient, metro: AgencyKeys, accept: str, text: bool
) -> None:
    response = client.get(PLATE, headers={**bearer(metro.officer_key), "Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == ("text/plain" if text else "application/json")


def test_format_wins_over_accept(client: FlaskClient, metro: AgencyKeys) -> None:
    headers = {**bearer(metro.officer_key), "Accept": "text/plain"}
    response = client.get(PLATE + "&format=json", headers=headers)
    assert response.mimetype == "application/json"


def test_an_unknown_format_is_a_400_naming_it(client: FlaskClient, metro: AgencyKeys) -> None:
    response = client.get(PLATE + "&format=xml", headers=bearer(metro.officer_key))
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "format"


def test_a_batch_answers_one_block_per_plate(client: FlaskClient, metro: AgencyKeys) -> None:
    response = client.post(
        "/api/v1/plates:batch?format=text",
        json={"plates": ["DVL1234", "ZZZ9999", "DVLIZ34"], "reason": "crash"},
        headers=bearer(metro.officer_key),
    )
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert text.count("DIPCHECK PLATE ") == 3
    assert text.count("REF DC-") == 3
    assert "No record for plate ZZZ9999" in text


def test_a_person_not_verified_ends_with_the_call_to_make() -> None:
    answer = copy.deepcopy(support.stored_examples()["getLicense"]["response"])
    answer["matches"][0]["person"]["immunity"]["level"] = "unverified"
    text = render(answer)
    assert f"{phrases.CALL} {phrases.VERIFY} 571-345-3146." in text.replace("\n   ", " ")


def test_the_data_age_is_counted_from_the_publication() -> None:
    answer = support.stored_examples()["getPlate"]["response"]
    published = datetime.fromisoformat(answer["data_as_of"].replace("Z", "+00:00"))
    assert " AGE 5 h" in render(answer, published + timedelta(hours=5, minutes=59))
    assert " AGE 3 d" in render(answer, published + timedelta(days=3))


def test_the_document_shows_the_text_form_rendered_from_the_json_example(
    client: FlaskClient,
) -> None:
    document = support.fetch_document(client)
    for operation_id in ("getPlate", "lookupPlatesBatch"):
        _method, _path, operation = support.operations(document)[operation_id]
        content = operation["responses"]["200"]["content"]["text/plain"]
        example = content["examples"]["synthetic"]["value"]
        assert example.startswith("DIPCHECK PLATE ")
        assert all(len(line) <= WIDTH for line in lines_of(example))


# -- property: any record values, every line fits and the reference is there ------------------

anything = st.text(max_size=300)
TEMPLATES = ("getPlate", "searchPlates", "getCredential", "getLicense", "searchPersons")


def _people(answer: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for match in answer["matches"]:
        if "vehicle" in match:
            found.extend(p for p in [match["registrant"].get("person")] if p)
        elif "license" in match:
            found.extend(p for p in [match.get("person")] if p)
        else:
            found.append(match)
    return found


@given(
    template=st.sampled_from(TEMPLATES),
    family=anything,
    given_names=st.none() | anything,
    typed=anything,
    plate=anything,
    label=anything,
    age_hours=st.integers(min_value=-5, max_value=24 * 4000),
)
@settings(max_examples=150, deadline=None)
def test_every_line_fits_80_columns_and_the_reference_is_there(
    template: str,
    family: str,
    given_names: str | None,
    typed: str,
    plate: str,
    label: str,
    age_hours: int,
) -> None:
    answer = copy.deepcopy(support.stored_examples()[template]["response"])
    answer["query"]["normalized"] = typed
    answer["verify"]["label"] = label
    for person in _people(answer):
        person["family_name"], person["given_names"] = family, given_names
    for match in answer["matches"]:
        if "vehicle" in match:
            match["vehicle"]["plate"] = plate
    published = datetime.fromisoformat(answer["data_as_of"].replace("Z", "+00:00"))
    now = published.astimezone(UTC) + timedelta(hours=age_hours)
    text = render(answer, now)
    lines = lines_of(text)
    assert all(len(line) <= WIDTH for line in lines), [ln for ln in lines if len(ln) > WIDTH]
    assert f"REF {answer['reference']}" in text
    assert render_batch({"answers": [answer]}, now) == text
