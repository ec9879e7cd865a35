"""Trainer accounts and seminar sessions: sign-in with lockout, join by code, the quiz with scores
and per-question analysis, the roster CSV and certificates."""

from __future__ import annotations

import csv
import io
import re

from flask import Flask
from flask.testing import FlaskClient

from lookup.audit.records import records
from lookup.store.base import AuditFilter
from outreach.library import current_content
from tests.outreach.conftest import csrf_of, new_trainer, sign_in


def open_session(client: FlaskClient, seminar: str = "immunity-basics", **extra: str) -> str:
    token = csrf_of(client, "/outreach/trainer/")
    data = {"seminar": seminar, "held_on": "2026-03-14", "location": "Academy room 2", **extra}
    response = client.post("/outreach/trainer/sessions", data={**data, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[1]


def join_code(client: FlaskClient, session_id: str) -> str:
    page = client.get(f"/outreach/trainer/sessions/{session_id}").get_data(as_text=True)
    match = re.search(r'id="join-code">([A-Z0-9]+)<', page)
    assert match
    return match.group(1)


def join(app: Flask, code: str, name: str, badge: str) -> FlaskClient:
    phone = app.test_client()
    token = csrf_of(phone, f"/outreach/join/{code}")
    response = phone.post(
        "/outreach/join",
        data={
            "code": code.lower(),
            "name": name,
            "agency": "Metro PD",
            "badge": badge,
            "csrf_token": token,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return phone


def set_status(client: FlaskClient, session_id: str, status: str) -> None:
    token = csrf_of(client, f"/outreach/trainer/sessions/{session_id}")
    response = client.post(
        f"/outreach/trainer/sessions/{session_id}/status",
        data={"status": status, "csrf_token": token},
    )
    assert response.status_code == 302


def answer(phone: FlaskClient, session_id: str, answers: dict[str, str]) -> int:
    token = csrf_of(phone)
    data = {f"q-{qid}": choice for qid, choice in answers.items()}
    return phone.post(
        f"/outreach/attend/{session_id}/answers", data={**data, "csrf_token": token}
    ).status_code


def test_sign_in_is_required_audited_and_locks_after_five_failures(app: Flask) -> None:
    password = new_trainer(app)
    client = app.test_client()
    assert client.get("/outreach/trainer/").status_code == 302
    token = csrf_of(client, "/outreach/trainer/login")
    for _ in range(5):
        bad = client.post(
            "/outreach/trainer/login",
            data={"username": "ana", "password": "wrong-password-123", "csrf_token": token},
        )
        assert bad.status_code == 401
    locked = client.post(
        "/outreach/trainer/login",
        data={"username": "ana", "password": password, "csrf_token": token},
    )
    assert locked.status_code == 401
    assert "Too many failed sign-ins" in locked.get_data(as_text=True)
    with app.app_context():
        logins = [r for r in records(AuditFilter()) if r.action == "trainer_login"]
    assert len(logins) == 6
    assert {r.outcome for r in logins} == {"denied"}
    assert all(r.channel == "login" for r in logins)


def test_forms_without_the_csrf_token_are_refused(app: Flask) -> None:
    password = new_trainer(app)
    client = app.test_client()
    response = client.post(
        "/outreach/trainer/login", data={"username": "ana", "password": password}
    )
    assert response.status_code == 400
    assert "csrf_token" in response.get_data(as_text=True)


def test_full_session_two_attendees_scores_analysis_roster_and_certificates(app: Flask) -> None:
    password = new_trainer(app)
    trainer = app.test_client()
    sign_in(trainer, "ana", password)
    session_id = open_session(trainer, hours="2.5")
    code = join_code(trainer, session_id)
    page = trainer.get(f"/outreach/trainer/sessions/{session_id}/projection")
    assert "<svg" in page.get_data(as_text=True)  # the QR code of the join link
    assert f"/outreach/join/{code}" in page.get_data(as_text=True)

    first = join(app, code, "Dana Reyes", "4411")
    second = join(app, code, '=HYPERLINK("x")', "5522")
    waiting = first.get(f"/outreach/attend/{session_id}").get_data(as_text=True)
    assert 'id="waiting"' in waiting
    assert answer(first, session_id, {}) == 400  # the quiz is not open yet

    set_status(trainer, session_id, "quiz")
    with app.test_request_context():
        questions = current_content().questions_for("immunity-basics")
    assert len(questions) >= 5
    right = {q.id: q.answer for q in questions}
    wrong_first = {
        **right,
        questions[0].id: next(c for c in questions[0].choices if c != questions[0].answer),
    }
    assert answer(first, session_id, right) == 302
    assert answer(second, session_id, wrong_first) == 302
    assert answer(second, session_id, right) == 400  # answers go in once
    pending = first.get(f"/outreach/attend/{session_id}").get_data(as_text=True)
    assert 'id="answers-in"' in pending  # results wait for the quiz to close
    assert 'id="score"' not in pending

    dashboard = trainer.get(f"/outreach/trainer/sessions/{session_id}").get_data(as_text=True)
    assert "Dana Reyes" in dashboard
    assert f"{len(questions) - 1} / {len(questions)}" in dashboard
    set_status(trainer, session_id, "closed")
    result = first.get(f"/outreach/attend/{session_id}").get_data(as_text=True)
    assert f"{len(questions)} / {len(questions)}" in result

    dashboard = trainer.get(f"/outreach/trainer/sessions/{session_id}").get_data(as_text=True)
    assert "Dana Reyes" in dashboard
    assert f"{len(questions) - 1} / {len(questions)}" in dashboard
    row = re.search(
        rf'data-question="{questions[0].id}">.*?class="percent">([^<]+)<', dashboard, re.S
    )
    assert row
    assert row.group(1).strip() == "50% (1/2)"

    export = trainer.get(f"/outreach/trainer/sessions/{session_id}/roster.csv")
    assert export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    by_badge = {r["badge"]: r for r in rows}
    assert by_badge["4411"]["quiz_score"] == str(len(questions))
    assert by_badge["4411"]["hours"] == "2.5"
    assert by_badge["4411"]["trainer"] == "Ana Trainer"
    assert by_badge["5522"]["attendee_name"] == '\'=HYPERLINK("x")'  # no formula in a sheet

    certificates = trainer.get(f"/outreach/trainer/sessions/{session_id}/certificates")
    html = certificates.get_data(as_text=True)
    assert html.count('class="certificate"') == 2
    assert "2.5 hours" in html
    assert "Dana Reyes" in html


def test_rejoining_with_the_same_badge_resumes_and_a_different_name_is_refused(
    app: Flask,
) -> None:
    trainer = app.test_client()
    sign_in(trainer, "ana", new_trainer(app))
    session_id = open_session(trainer)
    code = join_code(trainer, session_id)
    join(app, code, "Dana Reyes", "4411")
    join(app, code, "dana reyes", "4411")
    phone = app.test_client()
    token = csrf_of(phone)
    clash = phone.post(
        "/outreach/join",
        data={
            "code": code,
            "name": "Someone Else",
            "agency": "X",
            "badge": "4411",
            "csrf_token": token,
        },
    )
    assert clash.status_code == 400
    assert "badge" in clash.get_data(as_text=True)
    rows = trainer.get(f"/outreach/trainer/sessions/{session_id}/roster.csv").get_data(as_text=True)
    assert rows.count("4411") == 1


def test_bad_join_and_bad_answers_are_4xx_naming_the_field(app: Flask) -> None:
    trainer = app.test_client()
    sign_in(trainer, "ana", new_trainer(app))
    session_id = open_session(trainer)
    code = join_code(trainer, session_id)
    phone = app.test_client()
    token = csrf_of(phone)
    unknown = phone.post(
        "/outreach/join",
        data={"code": "ZZZZZZ", "name": "A", "agency": "B", "badge": "1", "csrf_token": token},
    )
    assert unknown.status_code == 400
    assert "no open session has this code" in unknown.get_data(as_text=True)
    empty = phone.post(
        "/outreach/join",
        data={"code": code, "name": " ", "agency": "B", "badge": "1", "csrf_token": token},
    )
    assert empty.status_code == 400
    assert "required" in empty.get_data(as_text=True)
    assert phone.get(f"/outreach/attend/{session_id}").status_code == 403

    member = join(app, code, "Lee", "77")
    set_status(trainer, session_id, "quiz")
    with app.test_request_context():
        first = current_content().questions_for("immunity-basics")[0]
    assert answer(member, session_id, {first.id: "not a choice"}) == 400
    assert answer(member, session_id, {first.id: first.answer}) == 302


def test_a_trainer_sees_only_their_own_sessions(app: Flask) -> None:
    owner = app.test_client()
    sign_in(owner, "ana", new_trainer(app))
    session_id = open_session(owner)
    other = app.test_client()
    sign_in(other, "ben", new_trainer(app, "ben", "Ben Trainer"))
    for suffix in ("", "/roster.csv", "/certificates"):
        assert other.get(f"/outreach/trainer/sessions/{session_id}{suffix}").status_code == 403


def test_a_closed_session_takes_no_new_attendees(app: Flask) -> None:
    trainer = app.test_client()
    sign_in(trainer, "ana", new_trainer(app))
    session_id = open_session(trainer)
    code = join_code(trainer, session_id)
    set_status(trainer, session_id, "closed")
    phone = app.test_client()
    token = csrf_of(phone)
    late = phone.post(
        "/outreach/join",
        data={"code": code, "name": "Late", "agency": "B", "badge": "9", "csrf_token": token},
    )
    assert late.status_code == 400
    assert "closed" in late.get_data(as_text=True)


def test_disabling_a_trainer_ends_their_session(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "ana", new_trainer(app))
    assert client.get("/outreach/trainer/").status_code == 200
    result = app.test_cli_runner().invoke(args=["outreach", "trainer", "disable", "ana"])
    assert result.exit_code == 0
    assert client.get("/outreach/trainer/").status_code == 302


def test_new_session_form_errors_name_the_field(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "ana", new_trainer(app))
    token = csrf_of(client, "/outreach/trainer/")
    response = client.post(
        "/outreach/trainer/sessions",
        data={"seminar": "nope", "held_on": "14/03/2026", "hours": "x", "csrf_token": token},
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "choose a seminar from the list" in body
    assert "a date as YYYY-MM-DD" in body
