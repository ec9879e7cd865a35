"""Audit records of administrative actions, from the CLI and the web pages alike.

One record shape for everything (lookup.store.base.AuditRecord, written by
lookup.audit.records.record):

- `channel`: `cli` for a `dipcheck` command, `web` for the supervisor and admin pages;
- `actor`: `cli:<operating-system user>` (the CLI has no DipCheck account; the OS user is who
  ran it), or `officer:<id>` of the signed-in supervisor or admin;
- `action`: what was done, one of ADMIN_ACTIONS;
- `query`: what it was done to (a username, an API key id, an agency name, an import directory,
  a phone as its last two digits only);
- `outcome`: `match` when done, `denied` when refused (an import that failed validation);
- `agency_id`: the agency of what was changed; `detail`: the rest (role, counts).

The record is written after the change: if it cannot be written, the command fails and the web
page says so, so an operator learns at once that the change went unrecorded.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from typing import Any, Final, Literal

from flask import has_request_context, request

from lookup.audit.records import record
from lookup.store.base import AuditRecord, Outcome

ADMIN_ACTIONS: Final = (
    "agency_create",
    "apikey_create",
    "apikey_revoke",
    "officer_create",
    "officer_disable",
    "officer_enable",
    "officer_unlock",
    "officer_password",
    "officer_reset_authenticator",
    "phone_enrol",
    "phone_disable",
    "import",
)
AdminChannel = Literal["cli", "web"]


def cli_actor() -> str:
    """`cli:<OS user>`: who ran the command (the CLI acts with the data directory's rights)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (a bare container)
        user = "unknown"
    return f"cli:{user}"


def audit_admin(
    *,
    channel: AdminChannel,
    actor: str,
    action: str,
    target: str,
    agency_id: str | None,
    outcome: Outcome = "match",
    detail: Mapping[str, Any] | None = None,
) -> AuditRecord:
    """One record for one administrative action (raises AuditUnavailable)."""
    if action not in ADMIN_ACTIONS:
        raise ValueError(f"unknown administrative action {action!r}")
    return record(
        None,
        channel=channel,
        action=action,
        query=target,
        outcome=outcome,
        client=request.remote_addr if has_request_context() else None,
        actor=actor,
        agency_id=agency_id,
        detail=detail,
    )


def audit_command(
    action: str,
    target: str,
    agency_id: str | None,
    *,
    outcome: Outcome = "match",
    detail: Mapping[str, Any] | None = None,
) -> AuditRecord:
    return audit_admin(
        channel="cli",
        actor=cli_actor(),
        action=action,
        target=target,
        agency_id=agency_id,
        outcome=outcome,
        detail=detail,
    )


def audit_page(
    officer_id: str,
    action: str,
    target: str,
    agency_id: str | None,
    *,
    detail: Mapping[str, Any] | None = None,
) -> AuditRecord:
    return audit_admin(
        channel="web",
        actor=f"officer:{officer_id}",
        action=action,
        target=target,
        agency_id=agency_id,
        detail=detail,
    )
