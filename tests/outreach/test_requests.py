"""Seminar requests: an agency asks through the public form; trainers see and schedule them."""

from __future__ import annotations

from flask import Flask

from tests.outreach.conftest import csrf_of, new_trainer, sign_in

VALID = {
    "agency": "Riverside County Sheriff",
    "contact_name": "Sgt. Kim Lowe",
    "contact_email": "training@riverside.example",
    "contact_phone": "555-0142",
    "audience": "patrol deputies",
    "attendees": "40",
    "seminars": ["immunity-basics", "traffic-crashes-impaired"],
    "preferred_dates": "any Tuesday in May",
    "location": "Training centre",
    "notes": "",
}


def test_an_agency_request_reaches_the_trainers_and_gets_scheduled(app: Flask) -> None:
    public = app.test_client()
    token = csrf_of(public, "/outreach/request")
    sent = public.post("/outreach/request", data={**VALID, "csrf_token": token})
    assert sent.status_code == 302
    assert "Thank you" in public.get(sent.headers["Location"]).get_data(as_text=True)
    assert public.get("/outreach/trainer/requests").status_code == 302  # trainers only

    trainer = app.test_client()
    sign_in(trainer, "ana", new_trainer(app))
    home = trainer.get("/outreach/trainer/").get_data(as_text=True)
    assert "1 new seminar request" in home
    assert 'id="new-requests"' in home
    listing = trainer.get("/outreach/trainer/requests").get_data(as_text=True)
    assert "Riverside County Sheriff" in listing
    assert "Traffic stops, crashes and impaired drivers" in listing
    request_id = listing.split('action="/outreach/trainer/requests/', 1)[1].split('"', 1)[0]

    token = csrf_of(trainer, "/outreach/trainer/requests")
    undated = trainer.post(
        f"/outreach/trainer/requests/{request_id}",
        data={"status": "scheduled", "scheduled_for": "", "note": "", "csrf_token": token},
    )
    assert undated.status_code == 400
    assert "scheduled_for" in undated.get_data(as_text=True)
    done = trainer.post(
        f"/outreach/trainer/requests/{request_id}",
        data={
            "status": "scheduled",
            "scheduled_for": "2026-05-12",
            "note": "room B",
            "csrf_token": token,
        },
    )
    assert done.status_code == 302
    listing = trainer.get("/outreach/trainer/requests").get_data(as_text=True)
    assert "scheduled for 2026-05-12" in listing
    status = public.get(sent.headers["Location"]).get_data(as_text=True)
    assert 'data-status="scheduled"' in status  # the requester sees it on the same link
    assert "Scheduled for 2026-05-12." in status
    assert "room B" in status


def test_bad_request_forms_name_each_field(app: Flask) -> None:
    client = app.test_client()
    token = csrf_of(client, "/outreach/request")
    bad = {
        **VALID,
        "contact_email": "not-an-address",
        "attendees": "0",
        "seminars": ["x"],
        "agency": "",
    }
    response = client.post("/outreach/request", data={**bad, "csrf_token": token})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "contact_email: must be an email address" in body
    assert "attendees:" in body
    assert "seminars: choose seminars from the list" in body
    assert "agency:" in body
