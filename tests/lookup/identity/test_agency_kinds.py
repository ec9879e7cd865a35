"""Agency kinds (`police`, `ofm`) and the analyst role that exists only in an OFM agency."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from lookup.audit.records import records
from lookup.cli import cli
from lookup.extensions import state_store
from lookup.identity import accounts
from lookup.store.base import AuditFilter
from tests.lookup.conftest import AgencyKeys, AppFactory, bearer
from tests.lookup.test_cli import run, runner  # noqa: F401 (the fixture)
from tests.lookup.web.conftest import GENEROUS_LIMITS, Clock, csrf_of, make_officer, sign_in

PLATE_URL = "/api/v1/plates/DVL1234?reason=traffic_stop"


def test_cli_creates_an_ofm_agency_and_lists_kinds(
    runner: CliRunner,  # noqa: F811
    make_app: AppFactory,
) -> None:
    make_app()
    created = run(runner, "agency", "create", "Office of Foreign Missions", "--kind", "ofm")
    assert created.exit_code == 0
    assert "ofm" in created.output
    assert run(runner, "agency", "create", "Metro Police").exit_code == 0
    listed = run(runner, "agency", "list").output.splitlines()
    kinds = {line.split("  ")[1]: line.split("  ")[-1] for line in listed}
    assert kinds == {"Office of Foreign Missions": "ofm", "Metro Police": "police"}


def test_cli_refuses_the_analyst_role_outside_ofm_with_one_line(
    runner: CliRunner,  # noqa: F811
    make_app: AppFactory,
) -> None:
    make_app()
    run(runner, "agency", "create", "Metro Police")
    run(runner, "agency", "create", "OFM", "--kind", "ofm")
    for command in (
        ("apikey", "create", "--agency", "Metro Police", "--role", "analyst"),
        ("officer", "create", "ana", "--agency", "Metro Police", "--role", "analyst"),
    ):
        refused = runner.invoke(cli, list(command))
        assert refused.exit_code == 1
        lines = refused.output.strip().splitlines()
        assert lines == ["Error: the analyst role exists only in an ofm agency"]
    assert run(runner, "apikey", "create", "--agency", "OFM", "--role", "analyst").exit_code == 0
    made = run(runner, "officer", "create", "ana", "--agency", "OFM", "--role", "analyst")
    assert made.exit_code == 0
    assert "(analyst)" in made.output


def test_an_agency_stored_before_kinds_existed_reads_as_police(app: Flask) -> None:
    with app.app_context():
        stored = state_store().insert(
            accounts.AGENCIES, {"name": "Old PD", "name_key": "old pd", "ori": None}
        )
        agency = accounts.get_agency(state_store(), stored.id)
        assert agency is not None
        assert agency.kind == "police"
        with pytest.raises(accounts.AccountError):
            accounts.create_api_key(state_store(), agency, role="analyst")


def _analyst_key(app: Flask) -> tuple[accounts.Agency, str]:
    with app.app_context():
        ofm = accounts.create_agency(state_store(), "Office of Foreign Missions", kind="ofm")
        _api_key, secret = accounts.create_api_key(state_store(), ofm, role="analyst")
    return ofm, secret


def test_an_analyst_key_cannot_look_up_and_the_refusal_is_audited(
    app: Flask, client: FlaskClient
) -> None:
    ofm, key = _analyst_key(app)
    response = client.get(PLATE_URL, headers=bearer(key))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert "DVL1234" not in response.get_data(as_text=True)
    with app.app_context():
        [entry] = list(records(AuditFilter(agency_id=ofm.id)))
    assert (entry.outcome, entry.detail["denied"]) == ("denied", "role")


def test_an_analyst_reads_no_audit_trail(
    app: Flask, client: FlaskClient, metro: AgencyKeys
) -> None:
    _ofm, key = _analyst_key(app)
    client.get(PLATE_URL, headers=bearer(metro.officer_key))
    response = client.get("/api/v1/audit", headers=bearer(key))
    assert response.status_code == 403
    assert "DVL1234" not in response.get_data(as_text=True)


def test_an_analyst_officer_gets_no_web_audit_page(make_app: AppFactory, tmp_path: Path) -> None:
    clock = Clock()
    app = make_app(CLOCK=clock, **GENEROUS_LIMITS)
    with app.app_context():
        accounts.create_agency(state_store(), "OFM", kind="ofm")
    analyst = make_officer(app, "ana", agency="OFM", role="analyst")
    client = app.test_client()
    signed = sign_in(client, analyst, clock)
    assert signed.status_code == 303
    assert signed.headers["Location"].endswith("/incidents")  # the review queue, not lookups
    assert client.get("/supervisor/audit").status_code == 403
    assert client.get("/supervisor/audit?format=csv").status_code == 403
    page = client.get("/lookup").get_data(as_text=True)
    looked_up = client.post(
        "/lookup", data={"csrf_token": csrf_of(page), "q": "DVL1234", "reason": "traffic_stop"}
    )
    assert looked_up.status_code == 403
    assert "DVL1234" not in looked_up.get_data(as_text=True)
