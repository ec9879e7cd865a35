"""Incident reports in training mode: a trainee files one after a training answer, through the
officer web's own form, into training mode's own store; it names synthetic people only, follows
a training lookup only, and never meets a live report (queue, export, points) either way."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lookup.answers.service import LiveDataRefused
from lookup.audit.records import records
from lookup.extensions import state_store
from lookup.identity import accounts
from lookup.incidents.caller import Caller
from lookup.incidents.models import IncidentIn
from lookup.incidents.service import file_incident
from lookup.store.base import AuditFilter
from lookup.store.incidents import IncidentFilter
from outreach.training_views import training_principal
from tests.factories import DIPLOMAT_LICENSE
from tests.outreach.conftest import csrf_of, new_trainer, sign_in
from tests.outreach.test_trainer_flow import join, join_code, open_session
from tests.search_index.elasticsearch.es_fakes import FakeCluster

TRAINING_LICENCE = "TL10201"  # TRN-P01, Aster Brennic (training_content/training_records)
TRAINING_PLATE = "DQX1025"


@pytest.fixture(params=["sqlite", "elasticsearch-fake"])
def app(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Flask:
    """The app on each state store: SQLite, and Elasticsearch (records and state) through the
    real client over a fake node; the contract suite runs the store itself on a live cluster."""
    if request.param == "sqlite":
        return make_app()
    return make_app(
        elasticsearch_url="http://es.internal:9200",
        ELASTICSEARCH_NODE_CLASS=FakeCluster().node_class(),
    )


def counts(app: Flask) -> tuple[int, int]:
    """How many reports the live store and the training store hold."""
    with app.app_context():
        store = state_store()
        return (
            store.incidents.page(IncidentFilter(), offset=0, limit=1)[1],
            store.training_incidents.page(IncidentFilter(), offset=0, limit=1)[1],
        )


def trainee(app: Flask, name: str = "Dana Reyes", badge: str = "4411") -> FlaskClient:
    """A phone that joined a seminar session (a new trainer and session each time)."""
    trainer = app.test_client()
    username = f"t{len(name)}{badge}"
    sign_in(trainer, username, new_trainer(app, username, "Ana Trainer"))
    return join(app, join_code(trainer, open_session(trainer)), name, badge)


def training_answer(client: FlaskClient, kind: str, q: str) -> str:
    token = csrf_of(client, "/outreach/training/")
    response = client.post(
        "/outreach/training/lookup", data={"kind": kind, "q": q, "csrf_token": token}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def report_button(page: str) -> dict[str, str]:
    """The hidden fields of the answer's "Report an incident" form."""
    form = re.search(
        r'<form class="report-incident" method="post" action="/outreach/training/incidents/new">'
        r"(.*?)</form>",
        page,
        re.S,
    )
    assert form, "the training answer offers no report form"
    return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))


def occurred() -> str:
    local = (datetime.now(UTC) - timedelta(hours=2)).astimezone(ZoneInfo("America/New_York"))
    return local.replace(tzinfo=None).isoformat(timespec="minutes")


def file(client: FlaskClient, **fields: str) -> Any:
    token = csrf_of(client, "/outreach/training/")
    data = {"csrf_token": token, "occurred_at": occurred(), "kind": "parking"} | fields
    return client.post("/outreach/training/incidents", data=data)


def live_report(app: Flask) -> tuple[str, str, str]:
    """A live police agency's lookup and report on the API; (incident id, police key, analyst
    key)."""
    with app.app_context():
        _k, police = accounts.create_api_key(
            state_store(), accounts.create_agency(state_store(), "Metro Police")
        )
        ofm = accounts.create_agency(state_store(), "Office of Foreign Missions", kind="ofm")
        _a, analyst = accounts.create_api_key(state_store(), ofm, role="analyst")
    client = app.test_client()
    api = {"Authorization": f"Bearer {police}"}
    looked = client.get(f"/api/v1/licenses/{DIPLOMAT_LICENSE}?reason=crash", headers=api)
    assert looked.status_code == 200
    filed = client.post(
        "/api/v1/incidents",
        headers=api,
        json={
            "occurred_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
            "kind": "moving_violation",
            "subject": {"license_number": DIPLOMAT_LICENSE},
            "lookup_reference": looked.get_json()["reference"],
            "reporting_officer": {"name": "Cpl. Ray Ortiz"},
        },
    )
    assert filed.status_code == 201, filed.get_data(as_text=True)
    return filed.get_json()["incident_id"], police, analyst


def test_a_trainee_files_from_a_training_answer_into_the_training_store_only(app: Flask) -> None:
    live_id, police_key, analyst = live_report(app)
    police = {"Authorization": f"Bearer {police_key}"}
    live_answer = (
        app.test_client()
        .get(f"/api/v1/licenses/{DIPLOMAT_LICENSE}?reason=crash", headers=police)
        .get_json()
    )
    with app.app_context():
        live_mark = state_store().incidents.assessments_mark()
    phone = trainee(app)
    answer = training_answer(phone, "license", TRAINING_LICENCE)
    carried = report_button(answer)
    assert carried["license_number"] == TRAINING_LICENCE
    assert carried["lookup_reference"].startswith("DC-")

    form = phone.post("/outreach/training/incidents/new", data=carried)
    page = form.get_data(as_text=True)
    assert form.status_code == 200
    assert "TRAINING" in page
    assert 'data-training="true"' in page
    assert 'action="/outreach/training/incidents"' in page
    assert f'value="{TRAINING_LICENCE}"' in page
    assert carried["lookup_reference"] in page

    filed = file(
        phone,
        lookup_reference=carried["lookup_reference"],
        license_number=TRAINING_LICENCE,
        narrative="Parked across a hydrant.",
        badge="4411",
    )
    assert filed.status_code == 303, filed.get_data(as_text=True)
    incident_id = filed.headers["Location"].rsplit("/", 1)[1]
    assert counts(app) == (1, 1)
    with app.app_context():
        store = state_store()
        assert store.incidents.get(incident_id) is None
        found = store.training_incidents.get(incident_id)
        assert found is not None
        document = found[1]
        assert store.training_incidents.get(live_id) is None
        assert store.incidents.get(live_id) is not None
        audited = next(iter(records(AuditFilter(reference=document["reference"]))))
    # Resolved against the training set: the synthetic person, as the training answer shows her.
    assert document["subject"]["person_id"] == "TRN-P01"
    assert document["subject"]["mission"]["mission_id"] == "TRN-M1"
    assert document["agency_id"] == "training"
    assert document["filed_by"].startswith("training:attendee-")
    assert document["reporting_officer"] == {
        "name": "Dana Reyes",
        "badge": "4411",
        "officer_id": None,
    }
    assert document["lookup_reference"] == carried["lookup_reference"]
    # Audited under the training agency, as training lookups are.
    assert (audited.agency_id, audited.action, audited.outcome) == (
        "training",
        "incident_file",
        "match",
    )

    shown = phone.get(f"/outreach/training/incidents/{incident_id}")
    assert shown.status_code == 200
    assert "TRAINING report" in shown.get_data(as_text=True)
    assert "Brennic" in shown.get_data(as_text=True)
    listed = phone.get("/outreach/training/incidents").get_data(as_text=True)
    assert incident_id in listed
    assert "submitted" in listed
    assert live_id not in listed
    # A live report cannot be opened from training, whatever its id.
    assert phone.get(f"/outreach/training/incidents/{live_id}").status_code == 404

    # The live side is as it was: the analysts' queue, its export and the licence points.
    ofm = {"Authorization": f"Bearer {analyst}"}
    client = app.test_client()
    queue = client.get("/api/v1/incidents", headers=ofm).get_json()
    assert [r["incident_id"] for r in queue["incidents"]] == [live_id]
    assert client.get(f"/api/v1/incidents/{incident_id}", headers=ofm).status_code == 404
    exported = client.get("/api/v1/incidents?format=csv", headers=ofm).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [row["incident_id"] for row in rows] == [live_id]
    # The answers' points and cache: no training report counts, no training filing moves the
    # mark the answer caches poll.
    with app.app_context():
        assert state_store().incidents.assessments_mark() == live_mark
    relooked = client.get(f"/api/v1/licenses/{DIPLOMAT_LICENSE}?reason=crash", headers=police)
    assert relooked.get_json()["matches"] == live_answer["matches"]


def test_a_plate_report_names_the_synthetic_vehicle(app: Flask) -> None:
    phone = trainee(app)
    carried = report_button(training_answer(phone, "plate", TRAINING_PLATE))
    assert carried["plate"] == TRAINING_PLATE
    assert file(phone, **carried).status_code == 303
    with app.app_context():
        (document,) = state_store().training_incidents.iterate(IncidentFilter())
    assert document["subject"]["vehicle"]["plate"] == TRAINING_PLATE
    assert document["subject"]["registrant"]["person_id"] == "TRN-P01"


def test_bad_training_input_is_400_naming_the_field_and_stores_nothing(app: Flask) -> None:
    live_report(app)
    with app.app_context():
        (live_lookup,) = [
            r.reference
            for r in records(AuditFilter(outcome="match"))
            if r.action == "license" and r.agency_id != "training"
        ]
    phone = trainee(app)
    reference = report_button(training_answer(phone, "license", TRAINING_LICENCE))[
        "lookup_reference"
    ]
    good = {"license_number": TRAINING_LICENCE, "lookup_reference": reference}
    for fields, field in (
        # A live person, and a live lookup: training reaches neither.
        ({**good, "license_number": DIPLOMAT_LICENSE}, "subject.license_number"),
        ({**good, "lookup_reference": live_lookup}, "lookup_reference"),
        ({**good, "lookup_reference": "DC-AAAAA-AAAAA"}, "lookup_reference"),
        ({**good, "narrative": "x" * 4001}, "narrative"),
        ({**good, "latitude": "91", "longitude": "0"}, "location.latitude"),
        ({**good, "latitude": "north", "longitude": "0"}, "latitude"),
        ({**good, "occurred_at": "yesterday"}, "occurred_at"),
        ({**good, "kind": "arson"}, "kind"),
        ({"lookup_reference": reference}, "subject"),
    ):
        response = file(phone, **fields)
        page = response.get_data(as_text=True)
        assert response.status_code == 400, (field, page)
        assert f"{field}:" in page, (field, page)
        assert "TRAINING" in page
    assert counts(app) == (1, 0)


def test_trainees_see_only_their_own_reports_and_visitors_file_none(app: Flask) -> None:
    first = trainee(app, "Dana Reyes", "4411")
    other = trainee(app, "Sam Ortiz", "7788")
    assert file(first, license_number=TRAINING_LICENCE).status_code == 303
    with app.app_context():
        (document,) = state_store().training_incidents.iterate(IncidentFilter())
    incident_id = document["incident_id"]
    assert other.get(f"/outreach/training/incidents/{incident_id}").status_code == 404
    assert incident_id not in other.get("/outreach/training/incidents").get_data(as_text=True)
    for page in ("0", "201", "x", "\u00b2"):
        refused = first.get(f"/outreach/training/incidents?page={page}")
        assert refused.status_code == 400
        assert "page:" in refused.get_data(as_text=True)

    visitor = app.test_client()
    answer = training_answer(visitor, "license", TRAINING_LICENCE)
    assert "/outreach/training/incidents/new" not in answer
    assert file(visitor, license_number=TRAINING_LICENCE).status_code == 403
    assert visitor.get("/outreach/training/incidents").status_code == 403
    assert visitor.get(f"/outreach/training/incidents/{incident_id}").status_code == 403
    assert counts(app) == (0, 1)


def test_a_trainer_files_and_lists_their_own_training_reports(app: Flask) -> None:
    trainer = app.test_client()
    sign_in(trainer, "ana", new_trainer(app, "ana", "Ana Trainer"))
    carried = report_button(training_answer(trainer, "license", TRAINING_LICENCE))
    assert file(trainer, **carried).status_code == 303
    with app.app_context():
        (document,) = state_store().training_incidents.iterate(IncidentFilter())
    assert document["reporting_officer"]["name"] == "Ana Trainer"
    assert document["filed_by"].startswith("training:trainer-")
    assert document["incident_id"] in trainer.get("/outreach/training/incidents").get_data(
        as_text=True
    )


def test_a_training_caller_without_the_training_set_is_refused_the_live_record(
    app: Flask,
) -> None:
    """Whatever a training view gets wrong, the service never resolves a training report
    against the live record (as run_lookup never answers a training lookup from it)."""
    body = IncidentIn.model_validate(
        {
            "occurred_at": datetime.now(UTC),
            "kind": "parking",
            "subject": {"license_number": DIPLOMAT_LICENSE},
            "reporting_officer": {"name": "Dana Reyes"},
        }
    )
    with app.test_request_context(), pytest.raises(LiveDataRefused):
        file_incident(Caller(training_principal(), "web", None), body)
    assert counts(app) == (0, 0)
