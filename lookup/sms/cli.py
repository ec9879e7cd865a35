"""`dipcheck officer enroll-phone USERNAME PHONE [--disable]`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from lookup.audit.admin import audit_command
from lookup.audit.records import AuditUnavailable
from lookup.extensions import state_store
from lookup.identity import accounts, phones


@click.command("enroll-phone")
@click.argument("username")
@click.argument("phone")
@click.option("--disable", is_flag=True, help="Disable this phone's enrolment instead.")
@with_appcontext
def enroll_phone_command(username: str, phone: str, disable: bool) -> None:
    """Enrol PHONE (international form, e.g. +15715550123) for SMS lookups by officer USERNAME,
    or disable its enrolment with --disable. Only a keyed hash of the number is stored."""
    try:
        number = phones.normalize_phone(phone)
    except phones.InvalidPhone as error:
        raise click.ClickException(str(error)) from None
    store = state_store()
    officer = accounts.find_officer(store, username)
    if officer is None:
        raise click.ClickException(f"no officer with username {username!r}")
    hashed = phones.app_phone_hash(number)
    ending = number[-2:]
    if disable:
        enrolment = phones.find(store, hashed)
        if enrolment is None or enrolment.officer_id != officer.id:
            raise click.ClickException(f"this number is not enrolled for {officer.username}")
        phones.set_disabled(store, enrolment, True)
        _audited("phone_disable", officer, ending)
        click.echo(f"SMS lookups disabled for the phone ending {ending} of {officer.username}")
        return
    if officer.disabled:
        raise click.ClickException(f"officer {officer.username} is disabled")
    try:
        phones.enrol(store, hashed, officer_id=officer.id, agency_id=officer.agency_id)
    except phones.AlreadyEnrolled as error:
        raise click.ClickException(str(error)) from None
    _audited("phone_enrol", officer, ending)
    click.echo(f"SMS lookups enabled for the phone ending {ending} of {officer.username}")


def _audited(action: str, officer: accounts.Officer, ending: str) -> None:
    # The number itself is never recorded: its last two digits name it for the officer.
    try:
        audit_command(action, f"{officer.username} phone ..{ending}", officer.agency_id)
    except AuditUnavailable as error:
        raise click.ClickException(
            f"{action} done, but the audit log could not record it ({error}): tell the operator"
        ) from None
