"""X-On-Behalf-Of: the officer behind an agency key is kept in the audit record and its exports;
a key created with --require-officer refuses a lookup without it; the audit names a key by the
id `dipcheck apikey list` shows."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from lookup.api import on_behalf_of
from lookup.audit.records import records
from lookup.cli import cli
from lookup.extensions import state_store
from lookup.identity import accounts
from lookup.identity.principal import Principal
from lookup.store.base import AuditFilter, AuditRecord
from tests.lookup.conftest import AgencyKeys, bearer

PLATE_URL = "/api/v1/plates/DVL1234?reason=traffic_stop"
HEADER = "X-On-Behalf-Of"


def audit_of(app: Flask, agency_id: str) -> list[AuditRecord]:
    with app.app_context():
        return list(records(AuditFilter(agency_id=agency_id)))


@pytest.fixture
def dipcheck(app: Flask, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """`dipcheck(*args)`: the command line, as another process would run it, on the app's data."""
    monkeypatch.setenv("DIPCHECK_DATA_DIR", str(data_dir))
    monkeypatch.setenv("DIPCHECK_LOG_LEVEL", "WARNING")

    def run(*args: str) -> Result:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    return run


def export(dipcheck: Callable[..., Result], output_format: str) -> str:
    result = dipcheck("audit", "export", "--agency", "Metro Police", "--format", output_format)
    return result.stdout


def test_lookups_with_and_without_the_header_show_in_the_exports(
    client: FlaskClient, metro: AgencyKeys, dipcheck: Callable[..., Result]
) -> None:
    with_officer = client.get(PLATE_URL, headers={**bearer(metro.officer_key), HEADER: "B-4471"})
    without = client.get(PLATE_URL, headers=bearer(metro.officer_key))
    assert (with_officer.status_code, without.status_code) == (200, 200)
    by_reference = {
        with_officer.get_json()["reference"]: "B-4471",
        without.get_json()["reference"]: "",
    }

    rows = list(csv.DictReader(io.StringIO(export(dipcheck, "csv"))))
    assert list(rows[0])[:5] == ["reference", "at", "agency_id", "actor", "on_behalf_of"]
    assert {row["reference"]: row["on_behalf_of"] for row in rows} == by_reference
    assert {row["actor"] for row in rows} == {f"apikey:{metro.officer_key_id}"}

    lines = [json.loads(line) for line in export(dipcheck, "jsonl").splitlines()]
    assert {line["reference"]: line["on_behalf_of"] or "" for line in lines} == by_reference


def test_the_audit_api_shows_who_asked(client: FlaskClient, metro: AgencyKeys) -> None:
    client.get(PLATE_URL, headers={**bearer(metro.officer_key), HEADER: "badge 12"})
    page = client.get("/api/v1/audit?limit=5", headers=bearer(metro.supervisor_key)).get_json()
    [lookup] = [r for r in page["records"] if r["channel"] == "api" and r["action"] == "plate"]
    assert lookup["on_behalf_of"] == "badge 12"
    assert lookup["actor"] == f"apikey:{metro.officer_key_id}"


def test_the_audit_names_a_key_by_its_listed_id(
    app: Flask, metro: AgencyKeys, dipcheck: Callable[..., Result]
) -> None:
    listing = dipcheck("apikey", "list", "--agency", "Metro Police")
    listed = {line.split()[0] for line in listing.stdout.splitlines()}
    app.test_client().get(PLATE_URL, headers=bearer(metro.officer_key))
    [entry] = audit_of(app, metro.agency.id)
    assert entry.actor is not None
    assert entry.actor.removeprefix("apikey:") in listed


@pytest.mark.parametrize("value", ["", "   ", "x" * 65, "badge\x7f", "bådge"])
def test_a_malformed_header_is_a_400_naming_it_and_is_audited(
    app: Flask, client: FlaskClient, metro: AgencyKeys, value: str
) -> None:
    response = client.get(PLATE_URL, headers={**bearer(metro.officer_key), HEADER: value})
    assert response.status_code == 400
    error: dict[str, Any] = response.get_json()["error"]
    assert (error["code"], error["field"]) == ("invalid_header", HEADER)
    [entry] = audit_of(app, metro.agency.id)
    assert (entry.outcome, entry.detail["denied"], entry.on_behalf_of) == (
        "denied",
        "invalid_header",
        None,
    )


@given(
    value=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=64)
)
@settings(max_examples=25, deadline=None)
def test_any_printable_ascii_id_up_to_64_characters_is_kept(value: str) -> None:
    from lookup.api.on_behalf_of import _VALUE

    assert _VALUE.fullmatch(value)


def make_required_key(app: Flask, metro: AgencyKeys) -> str:
    with app.app_context():
        _key, secret = accounts.create_api_key(state_store(), metro.agency, require_officer=True)
    return secret


def test_a_key_that_requires_the_officer_refuses_a_lookup_without_it(
    app: Flask, client: FlaskClient, metro: AgencyKeys
) -> None:
    key = make_required_key(app, metro)
    refused = client.get(PLATE_URL, headers=bearer(key))
    assert refused.status_code == 400
    error = refused.get_json()["error"]
    assert (error["code"], error["field"]) == ("missing_header", HEADER)
    assert HEADER in error["message"]
    answered = client.get(PLATE_URL, headers={**bearer(key), HEADER: "4471"})
    assert answered.status_code == 200
    outcomes = sorted((e.outcome, e.on_behalf_of or "") for e in audit_of(app, metro.agency.id))
    assert outcomes == [("denied", ""), ("match", "4471")]


def test_other_keys_do_not_require_it(client: FlaskClient, metro: AgencyKeys) -> None:
    assert client.get(PLATE_URL, headers=bearer(metro.officer_key)).status_code == 200


def test_the_cli_creates_and_lists_a_key_that_requires_the_officer(
    app: Flask, metro: AgencyKeys, dipcheck: Callable[..., Result]
) -> None:
    created = dipcheck("apikey", "create", "--agency", "Metro Police", "--require-officer")
    assert "X-On-Behalf-Of required" in created.stdout
    secret = created.stdout.splitlines()[1].strip()
    client = app.test_client()
    assert client.get(PLATE_URL, headers=bearer(secret)).status_code == 400
    listing = dipcheck("apikey", "list", "--agency", "Metro Police").stdout
    required = [line.split()[0] for line in listing.splitlines() if "officer-required" in line]
    assert required == [secret.split("_")[1]]


@given(
    st.from_regex(re.compile(on_behalf_of.PATTERN), fullmatch=True).filter(lambda v: len(v) <= 64)
)
@settings(max_examples=200, deadline=None)
def test_a_value_the_document_allows_is_accepted(value: str) -> None:
    app = Flask(__name__)
    with app.test_request_context(headers={HEADER: value}):
        key = Principal("A-1", "Metro Police", "apikey:k1", "officer")
        assert on_behalf_of.attributed(key).on_behalf_of == value.strip()
