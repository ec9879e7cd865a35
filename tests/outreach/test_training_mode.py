"""Training mode runs the real lookup on the synthetic training set only: every scenario gets its
expected answer there, live records cannot be reached, and every screen says TRAINING."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from lookup.answers.service import run_lookup
from lookup.audit.records import records
from lookup.extensions import search_backend, services
from lookup.store.base import AuditFilter
from outreach.library import current_content
from outreach.training_data import (
    EXTENSION_KEY,
    TrainingIsolationError,
    ensure_built,
    training_backend,
)
from outreach.training_views import training_principal
from tests.outreach.conftest import csrf_of, replace_in

LIVE_ONLY_PLATE = "DVLI234"  # in the live test set (tests/factories.py), not in training


def people_in(body: Any) -> Iterator[dict[str, Any]]:
    """Every person object anywhere in an answer body."""
    if isinstance(body, dict):
        if "person_id" in body and "immunity" in body:
            yield body
        for value in body.values():
            yield from people_in(value)
    elif isinstance(body, list):
        for item in body:
            yield from people_in(item)


def training_post(app: Flask, kind: str, q: str, scenario: str = "") -> tuple[int, str]:
    client = app.test_client()
    token = csrf_of(client, "/outreach/training/")
    response = client.post(
        "/outreach/training/lookup",
        data={"kind": kind, "q": q, "scenario": scenario, "csrf_token": token},
    )
    return response.status_code, response.get_data(as_text=True)


class _LiveBackendTripwire:
    """Stands in for the live backend's snapshot(): any call fails the test."""

    calls = 0

    def __call__(self) -> AbstractContextManager[Any]:
        type(self).calls += 1
        raise AssertionError("training touched the live backend")


def test_every_scenario_gets_its_expected_answer_on_the_training_set(app: Flask) -> None:
    with app.test_request_context():
        content = current_content()
        backend = training_backend()
        for scenario in content.scenarios.values():
            result = run_lookup(
                training_principal(),
                channel="web",
                kind=scenario.lookup.kind,
                value=scenario.lookup.value,
                reason="training",
                client="127.0.0.1",
                params={} if scenario.lookup.kind == "person" else None,
                backend=backend,
            )
            found = [p for p in people_in(result.body) if p["person_id"] == scenario.subject]
            assert found, f"{scenario.id}: subject not in the answer"
            immunity = found[0]["immunity"]
            assert immunity["level"] == scenario.expected.level, scenario.id
            assert immunity["actions"] == scenario.expected.actions, scenario.id


def test_training_screens_show_the_action_card_and_say_training(app: Flask) -> None:
    status, html = training_post(app, "plate", "DQX 44I7", "typo-plate-family-member")
    assert status == 200
    assert 'data-training="true"' in html
    assert "TRAINING" in html
    assert "Reyl" in html  # the registrant and the linked daughter
    assert 'class="sub"' in html  # the substituted character is highlighted
    status, html = training_post(app, "plate", "dqx-1025")
    assert 'class="plate">DQX1025<' in html.split('id="answer"', 1)[1]
    for path in ("/outreach/training/", "/outreach/training/scenarios/spouse-in-d-car"):
        assert 'data-training="true"' in app.test_client().get(path).get_data(as_text=True)


def test_a_live_only_plate_is_not_found_and_the_live_backend_is_never_called(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        with search_backend().snapshot() as live:
            assert live.get_vehicle(LIVE_ONLY_PLATE) is not None  # it is a live record
        tripwire = _LiveBackendTripwire()
        monkeypatch.setattr(services().backend, "snapshot", tripwire)
    status, html = training_post(app, "plate", LIVE_ONLY_PLATE)
    assert status == 200
    answer = html.split('id="answer"', 1)[1]
    assert f'class="plate">{LIVE_ONLY_PLATE}<' not in answer
    with app.test_request_context():
        result = run_lookup(
            training_principal(),
            channel="web",
            kind="plate",
            value=LIVE_ONLY_PLATE,
            reason="training",
            client=None,
            backend=training_backend(),
        )
    assert all(m["vehicle"]["plate"] != LIVE_ONLY_PLATE for m in result.body["matches"])
    status, html = training_post(app, "credential", "TD100201")
    assert status == 200
    assert "Brennic" in html
    assert _LiveBackendTripwire.calls == 0


def test_training_lookups_are_audited_as_training(app: Flask) -> None:
    training_post(app, "license", "TL55120")
    with app.app_context():
        audited = list(records(AuditFilter(agency_id="training")))
    assert len(audited) == 1
    assert audited[0].reason == "training"
    assert audited[0].actor is not None
    assert audited[0].actor.startswith("training:")
    assert audited[0].outcome == "match"


def test_the_training_backend_can_never_be_the_live_one(app: Flask) -> None:
    with app.app_context():
        app.extensions[EXTENSION_KEY].backend = services().backend
        with pytest.raises(TrainingIsolationError):
            training_backend()


def test_bad_training_input_is_a_400_naming_the_field(app: Flask) -> None:
    status, html = training_post(app, "teleport", "X")
    assert status == 400
    assert "kind: choose a search type" in html
    status, html = training_post(app, "plate", "   ")
    assert status == 400
    assert "q: type what to search" in html
    status, html = training_post(app, "plate_pattern", "D*")
    assert status == 400
    assert "q: partial plate" in html


def test_the_training_set_is_rebuilt_only_when_its_records_change(
    make_app: Any, content_copy: Path
) -> None:
    app = make_app(OUTREACH_CONTENT_DIR=str(content_copy))
    with app.app_context():
        training = app.extensions[EXTENSION_KEY]
        assert ensure_built(training) is True
        assert ensure_built(training) is False
        replace_in(
            content_copy / "training_records" / "persons.csv", "Brennic,Aster", "Brennic,Astrid"
        )
        assert ensure_built(training) is True
        with training_backend().snapshot() as snapshot:
            person = snapshot.get_person("TRN-P01")
        assert person is not None
        assert person.given_names == "Astrid"
    shutil.rmtree(content_copy)
