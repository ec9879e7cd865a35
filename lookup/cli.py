"""The `dipcheck` command: a Flask CLI group over `create_app`.

Every command has `--help`; a failure exits non-zero with one line (`Error: ...`). Secrets (API
keys, passwords, TOTP secrets) are printed once, when created, and never stored in clear.
Other channels register their own command groups at the end of this file, one line each.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup

from lookup import create_app
from lookup.audit.admin import audit_command
from lookup.audit.records import AuditUnavailable, records
from lookup.cli_backup import backup_command
from lookup.cli_data import demo_data_command, import_command
from lookup.cli_progress import terminal_progress
from lookup.config import ConfigError
from lookup.extensions import search_backend, services, state_store
from lookup.http.csv_safety import csv_lines
from lookup.identity import accounts, enrolment, officer_admin, phones
from lookup.qr.cli import qr_cli
from lookup.qr.key_ring import ensure_signing_key
from lookup.sms.cli import enroll_phone_command
from lookup.store.audit_record import CSV_COLUMNS, csv_cells, record_json
from lookup.store.base import AuditFilter, AuditRecord, StoreError

DEMO_AGENCY = "Demo Police Department"
DEMO_OFFICER = "demo"
DEMO_DATA_DIR = "demo-data"
_ENROL_HINT = (
    "At the first sign-in: username, password and the enrolment code in the code field; the page "
    "then shows a QR code to scan with an authenticator app (or its secret to type in), and the "
    "app's first 6-digit code finishes the sign-in."
)


def _make_app() -> Flask:
    # `dipcheck run` on a terminal is a person watching: readable log lines, unless
    # DIPCHECK_LOG_FORMAT says otherwise. Under gunicorn (lookup.wsgi) JSON stays the default.
    context = click.get_current_context(silent=True)
    if (
        context is not None
        and context.info_name == "run"
        and sys.stderr.isatty()
        and "DIPCHECK_LOG_FORMAT" not in os.environ
    ):
        return create_app(log_format="console")
    return create_app()


class DipCheckGroup(FlaskGroup):
    """Turns a configuration or store failure into one line and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            raise click.ClickException(str(error)) from None
        except StoreError as error:
            raise click.ClickException(f"state store: {error}") from None


cli = DipCheckGroup(
    create_app=_make_app,
    add_version_option=False,  # Flask's own prints Flask's version; ours prints DipCheck's
    help="DipCheck: verify foreign-mission members (diplomatic plates, ID cards, licences).",
)
cli = click.version_option(
    package_name="dipcheck", prog_name="DipCheck", message="%(prog)s %(version)s"
)(cli)


def _agency(name: str) -> accounts.Agency:
    agency = accounts.find_agency(state_store(), name)
    if agency is None:
        raise click.ClickException(f"no agency named {name!r} (see `dipcheck agency list`)")
    return agency


def _audited(
    action: str, target: str, agency_id: str | None, detail: dict[str, Any] | None = None
) -> None:
    """The audit record of an administrative command, written after the change."""
    try:
        audit_command(action, target, agency_id, detail=detail)
    except AuditUnavailable as error:
        raise click.ClickException(
            f"{action} done, but the audit log could not record it ({error}): tell the operator"
        ) from None


def _account_call(function: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return function(*args, **kwargs)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None


# -- agencies ------------------------------------------------------------------------------

agency_cli = AppGroup(
    "agency", help="Police agencies (each sees only its own audit trail) and OFM (kind ofm)."
)


@agency_cli.command("create")
@click.argument("name")
@click.option("--ori", help="The agency's 9-character NCIC originating-agency identifier.")
@click.option(
    "--kind",
    type=click.Choice(accounts.AGENCY_KINDS),
    default="police",
    show_default=True,
    help="ofm: the Office of Foreign Missions, whose analysts review incident reports.",
)
def agency_create(name: str, ori: str | None, kind: accounts.AgencyKind) -> None:
    """Create an agency called NAME."""
    agency = _account_call(accounts.create_agency, state_store(), name, ori=ori, kind=kind)
    _audited("agency_create", agency.name, agency.id, {"kind": kind})
    click.echo(f"agency created: {agency.name} (id {agency.id}, {agency.kind})")


@agency_cli.command("list")
def agency_list() -> None:
    """List the agencies."""
    for agency in accounts.list_agencies(state_store()):
        click.echo(f"{agency.id}  {agency.name}  {agency.ori or '-'}  {agency.kind}")


# -- API keys ------------------------------------------------------------------------------

apikey_cli = AppGroup("apikey", help="Agency API keys (shown once; only a hash is stored).")


@apikey_cli.command("create")
@click.option("--agency", "agency_name", required=True, help="The agency's name.")
@click.option(
    "--role",
    type=click.Choice(accounts.API_KEY_ROLES),
    default="officer",
    show_default=True,
    help="supervisor keys may also read the agency's audit trail; analyst (OFM agencies "
    "only) reviews every agency's incident reports and cannot look up.",
)
@click.option("--label", help="What the key is for, e.g. the CAD system's name.")
@click.option(
    "--require-officer",
    is_flag=True,
    help="Refuse lookups that do not name the agency's officer in X-On-Behalf-Of.",
)
def apikey_create(
    agency_name: str, role: accounts.ApiKeyRole, label: str | None, require_officer: bool
) -> None:
    """Create an API key for an agency and print it once."""
    agency = _agency(agency_name)
    api_key, secret = _account_call(
        accounts.create_api_key,
        state_store(),
        agency,
        role=role,
        label=label,
        require_officer=require_officer,
    )
    _audited(
        "apikey_create",
        api_key.key_id,
        agency.id,
        {"role": role, "require_officer": require_officer},
    )
    needs = ", X-On-Behalf-Of required" if require_officer else ""
    click.echo(f"API key {api_key.key_id} ({role}{needs}) for {agency.name}:")
    click.echo(f"  {secret}")
    click.echo("This key is shown once and cannot be recovered; store it now.")


@apikey_cli.command("revoke")
@click.argument("key_id")
def apikey_revoke(key_id: str) -> None:
    """Revoke the key KEY_ID (the 8 characters after `dck_`, or the whole key)."""
    api_key = accounts.find_api_key(state_store(), key_id)
    if api_key is None:
        raise click.ClickException("no such API key")
    if api_key.revoked:
        click.echo(f"API key {api_key.key_id} was already revoked")
        return
    accounts.revoke_api_key(state_store(), api_key)
    _audited("apikey_revoke", api_key.key_id, api_key.agency_id)
    seconds = services().settings.apikey_cache_seconds
    click.echo(f"API key {api_key.key_id} revoked (running servers refuse it within {seconds:g} s)")


@apikey_cli.command("list")
@click.option("--agency", "agency_name", required=True, help="The agency's name.")
def apikey_list(agency_name: str) -> None:
    """List an agency's API keys (never the keys themselves)."""
    for api_key in accounts.list_api_keys(state_store(), _agency(agency_name)):
        state = "revoked" if api_key.revoked else "active"
        officer = "officer-required" if api_key.require_officer else "-"
        click.echo(
            f"{api_key.key_id}  {api_key.role:<10}  {state:<7}  {officer:<16}  "
            f"{api_key.label or ''}".rstrip()
        )


# -- officers ------------------------------------------------------------------------------

officer_cli = AppGroup("officer", help="Officer accounts for the web and SMS channels.")


@officer_cli.command("create")
@click.argument("username")
@click.option("--agency", "agency_name", required=True, help="The agency's name.")
@click.option("--display-name", default="", help="Name shown on screen (default: username).")
@click.option(
    "--role",
    type=click.Choice(accounts.OFFICER_ROLES),
    default="officer",
    show_default=True,
)
@click.option(
    "--password-prompt/--generate-password",
    default=False,
    help="Type the password, or (default) generate one and print it once.",
)
def officer_create(
    username: str,
    agency_name: str,
    display_name: str,
    role: accounts.OfficerRole,
    password_prompt: bool,
) -> None:
    """Create an officer USERNAME; prints the password (if generated) and the one-time enrolment
    code once."""
    agency = _agency(agency_name)
    if password_prompt:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = accounts.generate_password()
    officer = _account_call(
        accounts.create_officer,
        state_store(),
        agency,
        username=username,
        display_name=display_name,
        password=password,
        role=role,
    )
    _audited("officer_create", officer.username, agency.id, {"role": role})
    _print_officer_secrets(officer, None if password_prompt else password)


def _print_officer_secrets(officer: accounts.Officer, password: str | None) -> None:
    # The TOTP secret is not printed: the officer sees it only at the first sign-in, after the
    # password *and* this enrolment code (lookup/identity/enrolment.py).
    code = enrolment.issue_enrolment_code(state_store(), officer, datetime.now(UTC))
    click.echo(f"officer created: {officer.username} ({officer.role})")
    if password is not None:
        click.echo(f"  password:        {password}")
    _print_enrolment_code(code)
    click.echo("These secrets are shown once; give them to the officer now.")


def _print_enrolment_code(code: str) -> None:
    hours = int(enrolment.ENROLMENT_CODE_LIFETIME.total_seconds() // 3600)
    click.echo(f"  enrolment code:  {enrolment.shown(code)}  (one use, {hours} hours)")
    click.echo("  At the first sign-in the officer types the enrolment code in the code field.")


@officer_cli.command("reset-authenticator")
@click.argument("username")
def officer_reset_authenticator(username: str) -> None:
    """A lost or replaced phone: a new TOTP secret and a new one-time enrolment code (printed
    once); the old phone's codes stop working and the officer's sessions end."""
    officer = accounts.find_officer(state_store(), username)
    if officer is None:
        raise click.ClickException("no such officer")
    officer, code = officer_admin.reset_authenticator(state_store(), officer, now=datetime.now(UTC))
    _audited("officer_reset_authenticator", officer.username, officer.agency_id)
    click.echo(f"authenticator of {officer.username} reset")
    _print_enrolment_code(code)


@officer_cli.command("list")
@click.option("--agency", "agency_name", default=None, help="Only this agency (default: all).")
def officer_list(agency_name: str | None) -> None:
    """Every officer: username, role, account state, agency and SMS state (STOP opt-out)."""
    agencies = [_agency(agency_name)] if agency_name else accounts.list_agencies(state_store())
    store = state_store()
    for agency in agencies:
        for officer in accounts.list_officers(store, agency):
            state = "disabled" if officer.disabled else "locked" if officer.locked else "active"
            sms = phones.sms_status(phones.of_officer(store, officer.id))
            click.echo(
                f"{officer.username}  {officer.role:<10}  {state:<8}  {agency.name}  sms: {sms}"
            )


@officer_cli.command("unlock")
@click.argument("username")
def officer_unlock(username: str) -> None:
    """Release an officer locked out after failed logins."""
    officer = accounts.find_officer(state_store(), username)
    if officer is None:
        raise click.ClickException("no such officer")
    officer_admin.unlock(state_store(), officer)
    _audited("officer_unlock", officer.username, officer.agency_id)
    click.echo(f"officer {officer.username} unlocked")


@officer_cli.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
def officer_disable(username: str, enable: bool) -> None:
    """Disable (or with --enable, re-enable) an officer account."""
    officer = accounts.find_officer(state_store(), username)
    if officer is None:
        raise click.ClickException("no such officer")
    officer_admin.set_disabled(state_store(), officer, not enable)
    action = "officer_enable" if enable else "officer_disable"
    _audited(action, officer.username, officer.agency_id)
    click.echo(f"officer {officer.username} {'enabled' if enable else 'disabled'}")


@officer_cli.command("password")
@click.argument("username")
@click.option(
    "--password-prompt/--generate-password",
    default=False,
    help="Type the new password, or (default) generate one and print it once.",
)
def officer_password(username: str, password_prompt: bool) -> None:
    """Set a new password for an officer (their open sessions end)."""
    officer = accounts.find_officer(state_store(), username)
    if officer is None:
        raise click.ClickException("no such officer")
    if password_prompt:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    else:
        password = accounts.generate_password()
    _account_call(officer_admin.set_password, state_store(), officer, password)
    _audited("officer_password", officer.username, officer.agency_id)
    click.echo(f"password of {officer.username} changed")
    if not password_prompt:
        click.echo(f"  password: {password}  (shown once)")


# -- audit ---------------------------------------------------------------------------------

audit_cli = AppGroup("audit", help="The audit log (append-only).")


@audit_cli.command("export")
@click.option("--agency", "agency_name", help="Only this agency's records (default: all).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
)
@click.option("--since", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"]))
@click.option("--until", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"]))
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
def audit_export(
    agency_name: str | None,
    output_format: str,
    since: datetime | None,
    until: datetime | None,
    output: Path | None,
) -> None:
    """Export audit records, newest first, as JSON lines or CSV (times without an offset are
    UTC)."""
    agency_id = _agency(agency_name).id if agency_name else None
    filter = AuditFilter(
        agency_id=agency_id,
        since=since.replace(tzinfo=since.tzinfo or UTC) if since else None,
        until=until.replace(tzinfo=until.tzinfo or UTC) if until else None,
    )
    entries = records(filter)
    if output is None:
        count = _write_audit(entries, output_format, sys.stdout)
    else:
        with output.open("w", encoding="utf-8", newline="") as handle:
            count = _write_audit(entries, output_format, handle)
    click.echo(f"{count} audit records exported", err=True)


def _write_audit(entries: Iterator[AuditRecord], output_format: str, out: TextIO) -> int:
    count = 0
    if output_format == "csv":

        def rows() -> Iterator[list[Any]]:
            nonlocal count
            for entry in entries:
                count += 1
                yield csv_cells(entry)

        for chunk in csv_lines(CSV_COLUMNS, rows()):
            out.write(chunk)
        return count
    for entry in entries:
        out.write(json.dumps(record_json(entry), ensure_ascii=False) + "\n")
        count += 1
    return count


# -- bootstrap (make run) ------------------------------------------------------------------


@cli.command("bootstrap")
@click.option(
    "--url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Where `dipcheck run` will serve, to print the address to open.",
)
@click.option(
    "--scale",
    type=click.Choice(["small", "full"]),
    default="small",
    show_default=True,
    help="Size of the synthetic data set generated when none is published.",
)
def bootstrap(url: str, scale: str) -> None:
    """Make a fresh install usable: publish synthetic demo data if no data set is published, create
    the first QR signing key if there is none, and a demo agency, API key and officer if there is
    none (their secrets printed once)."""
    backend = search_backend()
    info = backend.dataset_info()
    if info is None:
        from search_index.demo_data import write_demo_data
        from search_index.importer import ImportFailed, load_directory

        directory = services().data_dir / DEMO_DATA_DIR
        progress = terminal_progress()
        write_demo_data(directory, scale="full" if scale == "full" else "small", progress=progress)
        try:
            dataset = load_directory(directory, progress)
        except ImportFailed as error:
            raise click.ClickException(f"demo data did not import: {error}") from None
        info = backend.publish(dataset, progress)
        counts = ", ".join(f"{n} {name}" for name, n in info.counts.items())
        click.echo(f"synthetic demo data published ({counts})")
    else:
        click.echo(f"data set {info.dataset_id} already published")

    # Without a signing key every printed code would read "unknown key" and receipts would fail.
    key = ensure_signing_key()
    if key is not None:
        click.echo(f"QR signing key {key.kid} created (rotate with `dipcheck qr keys rotate`)")

    login = f"{url.rstrip('/')}/login"
    if accounts.find_agency(state_store(), DEMO_AGENCY) is not None:
        click.echo(f"{DEMO_AGENCY} exists; its secrets were printed when it was created")
        click.echo(f"Open {login} and sign in as {DEMO_OFFICER}.")
        return
    agency = accounts.create_agency(state_store(), DEMO_AGENCY)
    _audited("agency_create", agency.name, agency.id)
    api_key, secret = accounts.create_api_key(
        state_store(), agency, role="supervisor", label="demo"
    )
    _audited("apikey_create", api_key.key_id, agency.id, {"role": api_key.role})
    password = accounts.generate_password()
    officer = accounts.create_officer(
        state_store(),
        agency,
        username=DEMO_OFFICER,
        display_name="Demo Officer",
        password=password,
        role="officer",
    )
    _audited("officer_create", officer.username, agency.id, {"role": officer.role})
    click.echo(f"created {DEMO_AGENCY}, shown once:")
    click.echo(f"  API key ({api_key.role}): {secret}")
    _print_officer_secrets(officer, password)
    click.echo(f"Open {login} and sign in as {DEMO_OFFICER} with the password above.")
    click.echo(_ENROL_HINT)


cli.add_command(agency_cli)
cli.add_command(apikey_cli)
cli.add_command(officer_cli)
cli.add_command(audit_cli)
# Other packages' command groups: one line each below.
cli.add_command(qr_cli)
officer_cli.add_command(enroll_phone_command)
cli.add_command(import_command)
cli.add_command(demo_data_command)
cli.add_command(backup_command)


def main() -> None:
    cli.main(prog_name="dipcheck")
