"""run_lookup: one validated, audited lookup, the same for every channel."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from lookup.answers.service import (
    InvalidQuery,
    LiveDataRefused,
    LookupUnavailable,
    answer_context,
    record_denied,
    run_lookup,
)
from lookup.audit.records import AuditUnavailable, records
from lookup.config import Settings
from lookup.extensions import EXTENSION_KEY
from lookup.identity.principal import TRAINING_AGENCY_ID, Principal
from lookup.store.base import AuditFilter, AuditRecord, StoreUnavailable
from search_index.backend import BackendUnavailable
from search_index.records import Dataset
from search_index.sqlite.backend import SQLiteBackend
from tests.factories import DIPLOMAT_CREDENTIAL, DIPLOMAT_PLATE, make_mission, make_person

OFFICER = Principal(
    agency_id="agency-1",
    agency_name="Metro Police",
    actor="officer:o-1",
    role="officer",
    officer_id="o-1",
)


def audit_trail(app: Flask) -> list[AuditRecord]:
    return list(records(AuditFilter(agency_id="agency-1")))


def lookup(**overrides: object) -> object:
    arguments: dict[str, object] = {
        "channel": "api",
        "kind": "plate",
        "value": DIPLOMAT_PLATE,
        "reason": "traffic_stop",
        "client": "10.0.0.7",
    } | overrides
    return run_lookup(OFFICER, **arguments)  # type: ignore[arg-type]


def test_result_and_audit_record_agree(app: Flask) -> None:
    with app.app_context():
        result = run_lookup(
            OFFICER,
            channel="sms",
            kind="credential",
            value=DIPLOMAT_CREDENTIAL.lower(),
            reason="crash",
            client="phone:5f1a",
        )
        [entry] = audit_trail(app)
    assert result.outcome == "match"
    assert result.body["reference"] == result.reference == entry.reference
    assert result.body["query"]["normalized"] == DIPLOMAT_CREDENTIAL
    assert (entry.channel, entry.actor, entry.client) == ("sms", "officer:o-1", "phone:5f1a")
    assert entry.query == DIPLOMAT_CREDENTIAL.lower()
    assert entry.detail["ids"] == ["P-0001"]
    assert entry.detail["dataset_id"]
    # SMS never carries a date of birth.
    assert "date_of_birth" not in result.body["matches"][0]


def test_api_channel_shows_the_date_of_birth(app: Flask) -> None:
    with app.app_context():
        result = run_lookup(
            OFFICER,
            channel="api",
            kind="credential",
            value=DIPLOMAT_CREDENTIAL,
            reason="crash",
            client=None,
        )
    assert result.body["matches"][0]["date_of_birth"] == "1975-04-12"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reason": None}, "reason"),
        ({"reason": "because"}, "reason"),
        ({"kind": "passport"}, "kind"),
        ({"value": "#"}, "plate"),
        ({"kind": "plate_pattern", "value": "D*"}, "pattern"),
        (
            {"kind": "person", "value": "Ann", "params": {"date_of_birth": "31/12/1970"}},
            "date_of_birth",
        ),
        ({"kind": "person", "value": "Ann", "params": {"country": "x" * 101}}, "country"),
        ({"kind": "person", "value": "n" * 201}, "name"),
    ],
)
def test_invalid_input_is_refused_and_audited_as_denied(
    app: Flask, overrides: dict[str, object], field: str
) -> None:
    with app.app_context():
        with pytest.raises(InvalidQuery) as raised:
            lookup(**overrides)
        [entry] = audit_trail(app)
    assert raised.value.field == field
    assert entry.outcome == "denied"
    assert entry.detail == {"denied": "invalid_query", "field": field}


def test_index_down_is_unavailable_and_audited_as_error(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down() -> None:
        raise BackendUnavailable("timeout")

    monkeypatch.setattr(app.extensions[EXTENSION_KEY].backend, "snapshot", down)
    with app.app_context():
        with pytest.raises(LookupUnavailable) as raised:
            lookup()
        [entry] = audit_trail(app)
    assert entry.reference == raised.value.reference
    assert (entry.outcome, entry.detail["error"]) == ("error", "index_unavailable")


def test_audit_failure_means_no_answer(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        store = app.extensions[EXTENSION_KEY].ensured_store()

        def full(record: AuditRecord) -> None:
            raise StoreUnavailable("disk full")

        monkeypatch.setattr(store, "append_audit", full)
        with pytest.raises(AuditUnavailable):
            lookup()


def test_the_audit_record_is_written_before_the_answer_exists(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[str] = []
    with app.app_context():
        store = app.extensions[EXTENSION_KEY].ensured_store()
        original = store.append_audit

        def spy(record: AuditRecord) -> None:
            original(record)
            written.append(record.reference)

        monkeypatch.setattr(store, "append_audit", spy)
        result = lookup()
    assert written == [result.reference]  # type: ignore[attr-defined]


def test_a_separate_backend_serves_the_training_mode(app: Flask, tmp_path: Path) -> None:
    training = SQLiteBackend(tmp_path / "training")
    trainee = make_person(person_id="T-1", family_name="Synthetica", credential_number="TR000001")
    training.publish(
        Dataset(missions=(make_mission(),), persons=(trainee,), vehicles=(), licenses=())
    )
    with app.app_context():
        result = run_lookup(
            OFFICER,
            channel="web",
            kind="credential",
            value="TR000001",
            reason="training",
            client=None,
            backend=training,
        )
        real = run_lookup(
            OFFICER,
            channel="web",
            kind="credential",
            value="TR000001",
            reason="training",
            client=None,
        )
    training.close()
    assert [m["person_id"] for m in result.body["matches"]] == ["T-1"]
    assert real.body["matches"] == []


def test_record_denied_keeps_a_valid_reason_only(app: Flask) -> None:
    with app.app_context():
        record_denied(
            OFFICER,
            channel="api",
            kind="plate",
            value="X" * 1000,
            reason="nonsense",
            client=None,
            code="rate_limited",
        )
        [entry] = audit_trail(app)
    assert entry.reason is None
    assert len(entry.query) == 256
    assert entry.detail == {"denied": "rate_limited"}


def test_training_principal_never_reaches_the_live_records(app: Flask) -> None:
    trainee = Principal(
        agency_id=TRAINING_AGENCY_ID,
        agency_name="Training mode",
        actor="training:visitor",
        role="officer",
    )
    with app.app_context():
        with pytest.raises(LiveDataRefused):
            run_lookup(
                trainee,
                channel="web",
                kind="plate",
                value=DIPLOMAT_PLATE,
                reason="training",
                client="10.0.0.7",
            )
        assert list(records(AuditFilter(agency_id=TRAINING_AGENCY_ID))) == []


def test_answer_context_follows_the_local_day(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Contexts are built once per day and reused; the next day gets its own."""
    day = [date(2026, 3, 15)]
    monkeypatch.setattr(Settings, "local_date", lambda self, moment=None: day[0])
    with app.app_context():
        first, again = answer_context(False), answer_context(False)
        with_birth = answer_context(True)
        day[0] = date(2026, 3, 16)
        tomorrow = answer_context(False)
    assert first is again
    assert (first.today, first.include_date_of_birth) == (date(2026, 3, 15), False)
    assert (with_birth.today, with_birth.include_date_of_birth) == (date(2026, 3, 15), True)
    assert (tomorrow.today, tomorrow.include_date_of_birth) == (date(2026, 3, 16), False)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("plate", DIPLOMAT_PLATE),
        ("plate_pattern", DIPLOMAT_PLATE[:4] + "*"),
        ("credential", DIPLOMAT_CREDENTIAL),
        ("license", "OFM100200"),
        ("person", "Valdoria"),
        ("plate", "ZZ99999"),
    ],
)
def test_the_audit_summary_is_what_the_answer_shows(app: Flask, kind: str, value: str) -> None:
    """The summary is noted from the typed values as the answer is built; it must say what the
    answer shows: each shown person's level in order, and the first vehicle's insurance."""
    with app.app_context():
        result = lookup(kind=kind, value=value, params={} if kind == "person" else None)
        [entry] = audit_trail(app)
    levels: list[str] = []
    insurance = None
    for match in result.body["matches"]:  # type: ignore[attr-defined]
        if "vehicle" in match:
            insurance = insurance or match["vehicle"]["insurance"]["status"]
            shown = match["persons"]
        elif "person_id" not in match:  # a licence, with its holder if on record
            shown = [match["person"]] if match["person"] else []
        else:
            shown = [match]
        levels.extend(person["immunity"]["level"] for person in shown)
    assert entry.detail["summary"] == {"levels": levels, "insurance": insurance}
    if kind == "plate" and value == DIPLOMAT_PLATE:
        assert len(levels) > 1  # the household
        assert insurance is not None
