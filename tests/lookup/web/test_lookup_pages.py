"""The lookup screen over the test client: each kind, candidates, no match, the remembered
reason, the audit record, and the API accepting the web session."""

from __future__ import annotations

import dataclasses
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lookup.audit.records import records
from lookup.extensions import search_backend
from lookup.store.base import AuditFilter, AuditRecord
from tests.factories import (
    CONSUL_ID,
    DIPLOMAT_CREDENTIAL,
    DIPLOMAT_LICENSE,
    DIPLOMAT_PLATE,
    make_person,
)
from tests.lookup.conftest import AppFactory
from tests.lookup.web.conftest import (
    GENEROUS_LIMITS,
    OFFICIAL_ACTS_CREDENTIAL,
    OFFICIAL_ACTS_PLATE,
    Clock,
    csrf_of,
    make_officer,
    sign_in,
    web_dataset,
)

ANSWER_URL = re.compile(r"/lookup/answers/DC-[0-9A-Z]{5}-[0-9A-Z]{5}")


@pytest.fixture
def officer_client(web_app: Flask, clock: Clock) -> FlaskClient:
    client = web_app.test_client()
    assert sign_in(client, make_officer(web_app, "ada"), clock).status_code == 303
    return client


def lookup(client: FlaskClient, q: str, **form: str) -> tuple[int, str]:
    page = client.get("/lookup").get_data(as_text=True)
    data = {"csrf_token": csrf_of(page), "q": q, "kind": "auto", "reason": "traffic_stop"}
    response = client.post("/lookup", data=data | form)
    if response.status_code == 303:  # an answer: shown by the page the POST redirects to
        assert ANSWER_URL.fullmatch(response.headers["Location"])
        response = client.get(response.headers["Location"])
    return response.status_code, response.get_data(as_text=True)


def text_of(html: str) -> str:
    """The visible words, one space apart, for asserting on what the officer reads."""
    inline_gone = re.sub(r"</?(?:strong|mark|span|em|a)\b[^>]*>", "", html)
    return " ".join(re.sub(r"<[^>]+>", " ", inline_gone).split())


def web_lookups(app: Flask) -> list[AuditRecord]:
    with app.app_context():
        return [r for r in records(AuditFilter(channel="web")) if r.action != "login"]


def test_exact_plate_shows_the_action_card(web_app: Flask, officer_client: FlaskClient) -> None:
    status, html = lookup(officer_client, "dvl 1234")
    assert status == 200
    words = text_of(html)
    assert "FULL IMMUNITY" in words
    assert "Do not arrest or detain." in words  # plain words from the matrix file
    assert "Ostrander, Mirela" in words
    assert "A plate identifies the registrant, not the driver." in words
    assert "Searched as plate (detected: 2 to 8 letters and digits)" in words
    assert 'href="tel:+15713453146"' in html
    assert "tel:tel:" not in html  # the footer's link dials too
    # The spouse and child are listed as linked people; the confusable plates as similar.
    assert "Others linked" in words
    assert "Ostrander-Kiely, Tomás" in words
    assert "Similar plates" in words
    [entry] = web_lookups(web_app)
    assert (entry.channel, entry.action, entry.query, entry.reason, entry.outcome) == (
        "web",
        "plate",
        "dvl 1234",
        "traffic_stop",
        "match",
    )
    assert entry.reference in words


def test_uninsured_car_may_not_be_driven(officer_client: FlaskClient) -> None:
    _status, html = lookup(officer_client, OFFICIAL_ACTS_PLATE)
    words = text_of(html)
    assert "OFFICIAL-ACTS IMMUNITY ONLY" in words
    assert "may not be driven" in words


def test_partial_plate_lists_candidates(web_app: Flask, officer_client: FlaskClient) -> None:
    status, html = lookup(officer_client, "DVL?234")
    assert status == 200
    words = text_of(html)
    assert "Searched as partial plate" in words
    assert "Open plate DVL1234" in words
    assert "Open plate DVLI234" in words
    [entry] = web_lookups(web_app)
    assert (entry.action, entry.outcome) == ("plate_pattern", "match")


def test_candidate_selection_runs_an_exact_lookup(
    web_app: Flask, officer_client: FlaskClient
) -> None:
    # DVL1Z34 is on record nowhere; it differs from DVL1234 by 2/Z and from DVLIZ34 by 1/I.
    status, html = lookup(officer_client, "DVL1Z34")
    assert status == 200
    words = text_of(html)
    assert "possible plates" in words
    assert '<mark class="sub" title="you typed Z">2</mark>' in html
    assert "character 5 is 2, you typed Z" in words
    picked = re.search(r'name="q" value="(DVL1234)"', html)
    assert picked is not None
    _status, card = lookup(officer_client, picked.group(1), kind="plate")
    assert "FULL IMMUNITY" in text_of(card)
    kinds = [(r.action, r.query) for r in web_lookups(web_app)]
    assert kinds == [("plate", "DVL1234"), ("plate", "DVL1Z34")]  # newest first


def test_credential_licence_and_name_lookups(web_app: Flask, officer_client: FlaskClient) -> None:
    _s, card = lookup(officer_client, DIPLOMAT_CREDENTIAL)
    assert "Searched as State Department ID card number" in text_of(card)
    assert "FULL IMMUNITY" in text_of(card)
    _s, licence = lookup(officer_client, DIPLOMAT_LICENSE)
    words = text_of(licence)
    # The holder's verdict first, then the call and the reference, then the licence itself.
    assert "Sign out Licence OFM100200 FULL IMMUNITY Holder: Ostrander, Mirela" in words
    assert words.index("Call (571) 345-3146") < words.index("Ref ") < words.index("Licence valid")
    _s, official = lookup(officer_client, OFFICIAL_ACTS_CREDENTIAL)
    assert "OFFICIAL-ACTS IMMUNITY ONLY" in text_of(official)
    _s, unverified = lookup(officer_client, "Quell")
    assert "UNVERIFIED" in text_of(unverified)
    actions = [r.action for r in web_lookups(web_app)]
    assert actions == ["person", "credential", "license", "credential"]


def test_name_with_several_people_lets_the_officer_pick(
    web_app: Flask, officer_client: FlaskClient
) -> None:
    _s, html = lookup(officer_client, "Ostrander")
    assert "people match" in text_of(html)
    pick = re.search(r'name="pick" value="([^"]+)"', html)
    assert pick is not None
    _s, card = lookup(officer_client, "Ostrander", kind="person", pick=pick.group(1))
    assert text_of(card).count("Born ") == 1


def test_no_match_says_what_was_searched_and_what_next(officer_client: FlaskClient) -> None:
    status, html = lookup(officer_client, "XQ 9999")
    words = text_of(html)
    assert status == 200
    assert "No record found" in words
    assert "XQ9999" in words
    assert "No record is not proof of no immunity" in words
    assert "as State Department ID card number" in words


def test_reason_is_remembered_for_the_session(officer_client: FlaskClient) -> None:
    lookup(officer_client, DIPLOMAT_PLATE, reason="crash")
    page = officer_client.get("/lookup").get_data(as_text=True)
    assert '<option value="crash" selected>' in page


def test_missing_reason_is_refused_and_named(web_app: Flask, officer_client: FlaskClient) -> None:
    status, html = lookup(officer_client, DIPLOMAT_PLATE, reason="")
    assert status == 400
    assert "Reason:" in text_of(html)
    [entry] = web_lookups(web_app)
    assert entry.outcome == "denied"


def test_bad_plate_is_a_400_naming_the_field(officer_client: FlaskClient) -> None:
    status, html = lookup(officer_client, "D#1", kind="plate")
    assert status == 400
    assert "Plate:" in text_of(html)


def test_lookup_needs_csrf_and_a_session(web_app: Flask, officer_client: FlaskClient) -> None:
    forged = officer_client.post(
        "/lookup", data={"csrf_token": "x", "q": DIPLOMAT_PLATE, "reason": "crash"}
    )
    assert forged.status_code == 400
    anonymous = web_app.test_client().post("/lookup", data={"q": DIPLOMAT_PLATE})
    assert anonymous.status_code == 302
    assert web_lookups(web_app) == []


def test_api_accepts_the_web_session(officer_client: FlaskClient) -> None:
    response = officer_client.get(
        "/api/v1/persons?name=Brezina&reason=traffic_stop", headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.get_json()["matches"][0]["person_id"] == CONSUL_ID


def test_rate_limited_lookup_is_refused_and_audited(make_app: AppFactory, clock: Clock) -> None:
    app = make_app(CLOCK=clock, ratelimit_lookups="2/minute", WEB_LOGIN_RATE="100/minute")
    client = app.test_client()
    assert sign_in(client, make_officer(app, "ada"), clock).status_code == 303
    assert lookup(client, DIPLOMAT_PLATE)[0] == 200
    assert lookup(client, DIPLOMAT_PLATE)[0] == 200
    status, html = lookup(client, DIPLOMAT_PLATE)
    assert status == 429
    assert "Too many lookups" in text_of(html)
    outcomes = [(r.outcome, r.detail.get("denied")) for r in web_lookups(app)]
    assert outcomes == [("denied", "rate_limited"), ("match", None), ("match", None)]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    q=st.text(max_size=250),
    kind=st.sampled_from(["auto", "plate", "credential", "license", "person", "bogus"]),
    date_of_birth=st.one_of(st.just(""), st.text(max_size=12)),
)
def test_any_input_gets_a_page_never_a_server_error(
    officer_client: FlaskClient, q: str, kind: str, date_of_birth: str
) -> None:
    status, html = lookup(officer_client, q, kind=kind, date_of_birth=date_of_birth)
    assert status in (200, 400)
    if status == 400:
        assert 'role="alert"' in html


def test_a_misread_card_number_offers_the_card_with_the_difference_marked(
    make_app: AppFactory, clock: Clock
) -> None:
    # The card is O0435545, a letter O first; the officer types a zero.
    app = make_app(publish=False, CLOCK=clock, **GENEROUS_LIMITS)
    base = web_dataset()
    holder = make_person(person_id="P-O04", credential_number="O0435545", family_name="Okoye")
    with app.app_context():
        search_backend().publish(dataclasses.replace(base, persons=(*base.persons, holder)))
    client = app.test_client()
    assert sign_in(client, make_officer(app, "ada"), clock).status_code == 303

    status, html = lookup(client, "00435545")
    assert status == 200
    words = text_of(html)
    assert "1 possible State Department ID card number" in words
    assert "character 1 is O, you typed 0" in words
    assert '<mark class="sub" title="you typed 0">O</mark>' in html
    # Its button is a new, exact lookup of the card, which opens on the holder's verdict.
    assert 'name="q" value="O0435545"' in html
    status, card = lookup(client, "O0435545", kind="credential")
    assert "FULL IMMUNITY Okoye, Mirela" in text_of(card)
    actions = [r.action for r in web_lookups(app)]
    assert actions == ["credential", "credential"]
