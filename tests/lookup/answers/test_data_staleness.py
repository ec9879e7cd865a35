"""A data set older than DIPCHECK_DATA_STALE_HOURS: every channel says so (API `data_stale`, the
web and QR pages' amber line, the SMS marker) and /readyz reports it; a fresh one says nothing.

An app whose limit is a few microseconds (DATA_STALE_HOURS=1e-9) sees every published set as
stale, without waiting or faking the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from lookup.answers.service import run_lookup
from lookup.answers.text import phrases
from lookup.answers.text.render import reply_for
from lookup.config import current_settings
from lookup.extensions import search_backend
from lookup.identity.principal import Principal
from lookup.qr.documents import issue
from lookup.qr.key_ring import keystore
from lookup.rules.freshness import is_stale
from tests.factories import DIPLOMAT_CREDENTIAL, DIPLOMAT_PLATE
from tests.lookup.conftest import AppFactory, agency_with_keys
from tests.lookup.web.conftest import Clock, csrf_of, make_officer, sign_in

STALE = {"data_stale_hours": 1e-9}
AMBER = "Data may be out of date"


def test_the_rule_is_strictly_older_than_the_limit() -> None:
    published = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert not is_stale(published, published + timedelta(hours=72), 72)
    assert is_stale(published, published + timedelta(hours=72, seconds=1), 72)
    assert not is_stale(published, published + timedelta(hours=1), 1.5)


def test_the_default_limit_is_72_hours(make_app: AppFactory) -> None:
    app = make_app()
    with app.app_context():
        assert current_settings().data_stale_hours == 72


@pytest.mark.parametrize(("overrides", "stale"), [({}, False), (STALE, True)])
def test_api_answer_and_readyz(
    make_app: AppFactory, overrides: dict[str, float], stale: bool
) -> None:
    app = make_app(**overrides)
    keys = agency_with_keys(app, "Metro Police")
    client = app.test_client()
    response = client.get(
        f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=crash",
        headers={"Authorization": f"Bearer {keys.officer_key}"},
    )
    assert response.status_code == 200
    assert response.get_json()["data_stale"] is stale
    ready = client.get("/readyz")
    assert ready.status_code == 200  # old data still answers, and says so
    assert ready.get_json()["index"]["stale"] is stale
    assert ready.get_json()["index"]["stale_after_hours"] == overrides.get("data_stale_hours", 72)


@pytest.mark.parametrize(("overrides", "stale"), [({}, False), (STALE, True)])
def test_web_answer_has_the_amber_line(
    make_app: AppFactory, overrides: dict[str, float], stale: bool
) -> None:
    clock = Clock()
    app = make_app(CLOCK=clock, **overrides)
    client = app.test_client()
    assert sign_in(client, make_officer(app, "ada"), clock).status_code == 303
    page = client.get("/lookup").get_data(as_text=True)
    data = {"csrf_token": csrf_of(page), "q": DIPLOMAT_PLATE, "reason": "crash"}
    answer = client.get(client.post("/lookup", data=data).headers["Location"])
    html = answer.get_data(as_text=True)
    assert (AMBER in html) is stale
    assert ('class="stale"' in html) is stale


@pytest.mark.parametrize(("overrides", "stale"), [({}, False), (STALE, True)])
def test_qr_page_has_the_amber_line(
    make_app: AppFactory, overrides: dict[str, float], stale: bool
) -> None:
    app = make_app(**overrides)
    with app.app_context():
        keystore().create()
        with search_backend().snapshot() as snapshot:
            token = issue(
                snapshot,
                "credential",
                DIPLOMAT_CREDENTIAL,
                keystore().signer(),
                zone=current_settings().zone(),
            ).token
    client = app.test_client()
    page = client.get(f"/v/{token}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert (AMBER in page) is stale
    body = client.get(f"/v/{token}", headers={"Accept": "application/json"}).get_json()
    assert body["data_stale"] is stale


def test_sms_reply_carries_the_marker(make_app: AppFactory) -> None:
    for overrides, stale in (({}, False), (STALE, True)):
        app: Flask = make_app(**overrides)
        with app.app_context():
            principal = Principal(agency_id="a", agency_name="A", actor="sms:test", role="officer")
            result = run_lookup(
                principal,
                channel="sms",
                kind="plate",
                value=DIPLOMAT_PLATE,
                reason="crash",
                client=None,
            )
        text = reply_for("plate", DIPLOMAT_PLATE, result.body, "(571) 345-3146")
        assert any(marker in text for marker in phrases.STALE) is stale
        assert len(text) <= 160
