"""Lookups are POST -> 303 -> GET of an answer page tied to the reference and the officer's web
session: reloading it never looks up again, and no other session can open it."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lookup.audit.records import records
from lookup.extensions import state_store
from lookup.identity import session_answers, sessions
from lookup.store.base import AuditFilter
from tests.factories import DIPLOMAT_CREDENTIAL, DIPLOMAT_PLATE
from tests.lookup.web.conftest import Clock, OfficerLogin, csrf_of, make_officer, sign_in
from tests.lookup.web.test_lookup_pages import ANSWER_URL


@pytest.fixture
def ada(web_app: Flask) -> OfficerLogin:
    return make_officer(web_app, "ada")


def signed_in(app: Flask, who: OfficerLogin, clock: Clock) -> FlaskClient:
    client = app.test_client()
    clock.advance(seconds=30)  # a fresh authenticator step: each code is accepted once
    assert sign_in(client, who, clock).status_code == 303
    return client


def post_lookup(client: FlaskClient, q: str) -> str:
    """The answer page's path the lookup redirects to."""
    page = client.get("/lookup").get_data(as_text=True)
    data = {"csrf_token": csrf_of(page), "q": q, "kind": "auto", "reason": "traffic_stop"}
    response = client.post("/lookup", data=data)
    assert response.status_code == 303
    location = str(response.headers["Location"])
    assert ANSWER_URL.fullmatch(location)
    return location


def lookups_by(app: Flask, who: OfficerLogin) -> list[str]:
    with app.app_context():
        return [
            r.reference
            for r in records(AuditFilter(channel="web", actor=f"officer:{who.officer_id}"))
            if r.action != "login"
        ]


def test_reloading_the_answer_shows_it_again_without_a_second_lookup(
    web_app: Flask, clock: Clock, ada: OfficerLogin
) -> None:
    client = signed_in(web_app, ada, clock)
    location = post_lookup(client, DIPLOMAT_PLATE)
    first = client.get(location)
    clock.advance(minutes=5)
    again = client.get(location)
    assert first.status_code == again.status_code == 200
    assert again.get_data() == first.get_data()
    assert "FULL IMMUNITY" in first.get_data(as_text=True)
    assert again.headers["Cache-Control"] == "no-store"
    assert lookups_by(web_app, ada) == [location.rsplit("/", 1)[1]]


def test_another_officer_gets_404(web_app: Flask, clock: Clock, ada: OfficerLogin) -> None:
    location = post_lookup(signed_in(web_app, ada, clock), DIPLOMAT_PLATE)
    other = signed_in(web_app, make_officer(web_app, "bob"), clock)
    assert other.get(location).status_code == 404
    # Nor does the same officer's next session reach it.
    assert signed_in(web_app, ada, clock).get(location).status_code == 404


def test_an_expired_session_cannot_open_it_and_its_answers_are_deleted(
    web_app: Flask, clock: Clock, ada: OfficerLogin
) -> None:
    client = signed_in(web_app, ada, clock)
    location = post_lookup(client, DIPLOMAT_PLATE)
    clock.advance(minutes=31)
    assert client.get(location).status_code == 302  # to the sign-in page
    with web_app.app_context():
        assert state_store().find(session_answers.COLLECTION) == []


def test_sign_out_deletes_the_sessions_answers(
    web_app: Flask, clock: Clock, ada: OfficerLogin
) -> None:
    client = signed_in(web_app, ada, clock)
    post_lookup(client, DIPLOMAT_PLATE)
    post_lookup(client, DIPLOMAT_CREDENTIAL)
    with web_app.app_context():
        assert len(state_store().find(session_answers.COLLECTION)) == 2
    page = client.get("/lookup").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_of(page)})
    with web_app.app_context():
        assert state_store().find(session_answers.COLLECTION) == []
        assert state_store().find(sessions.COLLECTION, officer_id=ada.officer_id) == []


def test_each_session_keeps_a_bounded_number_of_answers(
    web_app: Flask, clock: Clock, ada: OfficerLogin
) -> None:
    client = signed_in(web_app, ada, clock)
    locations = [
        post_lookup(client, DIPLOMAT_PLATE) for _ in range(session_answers.MAX_PER_SESSION + 2)
    ]
    assert [client.get(url).status_code for url in locations[:2]] == [404, 404]
    assert all(client.get(url).status_code == 200 for url in locations[2:])


def test_an_unknown_or_malformed_reference_is_404(
    web_app: Flask, clock: Clock, ada: OfficerLogin
) -> None:
    client = signed_in(web_app, ada, clock)
    assert client.get("/lookup/answers/DC-00000-00000").status_code == 404
    assert client.get("/lookup/answers/" + "X" * 300).status_code == 404
