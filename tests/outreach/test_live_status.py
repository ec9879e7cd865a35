"""The small JSON status the attendee and projection pages poll, and the projection page that
never shows an answer: the projection page is separate from the analysis page."""

from __future__ import annotations

from flask import Flask

from outreach.library import current_content
from tests.outreach.conftest import new_trainer, sign_in
from tests.outreach.test_trainer_flow import answer, join, join_code, open_session, set_status


def test_status_follows_the_session_and_the_projection_shows_no_answer(app: Flask) -> None:
    trainer = app.test_client()
    sign_in(trainer, "ana", new_trainer(app))
    session_id = open_session(trainer)
    code = join_code(trainer, session_id)
    phone = join(app, code, "Dana Reyes", "4411")
    with app.test_request_context():
        questions = current_content().questions_for("immunity-basics")
    answers = [q.answer for q in questions]

    def projected() -> str:
        page = trainer.get(f"/outreach/trainer/sessions/{session_id}/projection")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "✔" not in html
        assert "data-question" not in html
        assert "Dana Reyes" not in html  # counts only, no names on the wall
        for text in answers:
            assert text not in html
        return html

    def status() -> dict[str, object]:
        response = phone.get(f"/outreach/attend/{session_id}/status.json")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        body = response.get_json()
        assert isinstance(body, dict)
        return body

    assert status() == {"state": "open/waiting", "status": "open"}
    assert 'http-equiv="refresh"' in projected()  # without script, the projection refreshes
    progress = trainer.get(f"/outreach/trainer/sessions/{session_id}/progress.json").get_json()
    assert progress == {
        "state": "open",
        "status": "open",
        "joined": 1,
        "answered": 0,
        "questions": len(questions),
    }

    set_status(trainer, session_id, "quiz")
    assert status()["state"] == "quiz/waiting"
    assert answer(phone, session_id, {questions[0].id: questions[0].answer}) == 302
    assert status()["state"] == "quiz/answered"
    projected()
    progress = trainer.get(f"/outreach/trainer/sessions/{session_id}/progress.json").get_json()
    assert progress["answered"] == 1

    analysis = trainer.get(f"/outreach/trainer/sessions/{session_id}").get_data(as_text=True)
    assert f"<strong>✔ {questions[0].answer}</strong>" in analysis  # the key is here, not there
    assert "<svg" not in analysis  # the QR is on the projection page only

    set_status(trainer, session_id, "closed")
    assert status()["state"] == "closed/answered"
    projected()


def test_status_needs_the_attendance_and_progress_needs_the_trainer(app: Flask) -> None:
    trainer = app.test_client()
    sign_in(trainer, "ana", new_trainer(app))
    session_id = open_session(trainer)
    stranger = app.test_client()
    assert stranger.get(f"/outreach/attend/{session_id}/status.json").status_code == 403
    progress = stranger.get(f"/outreach/trainer/sessions/{session_id}/progress.json")
    assert progress.status_code in (302, 401)
    other = app.test_client()
    sign_in(other, "bo", new_trainer(app, "bo", "Bo Trainer"))
    assert other.get(f"/outreach/trainer/sessions/{session_id}/projection").status_code == 403
