"""Officer administration (lookup/identity/officer_admin.py), the one path of the CLI and the web:
each change survives a concurrent write of the same officer (optimistic retry) and ends the
officer's web sessions where it must, inside the operation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask

from lookup.extensions import state_store
from lookup.identity import accounts, officer_admin, sessions
from lookup.identity.accounts import Officer
from lookup.store.base import StateStore

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def _officer(store: StateStore) -> Officer:
    agency = accounts.create_agency(store, "Metro Police")
    return accounts.create_officer(
        store, agency, username="jdoe", display_name="", password="long enough pw"
    )


def _open_session(store: StateStore, officer: Officer) -> None:
    sessions.create_session(
        store,
        officer_id=officer.id,
        agency_id=officer.agency_id,
        agency_name="Metro Police",
        role=officer.role,
        stage="active",
        now=NOW,
    )


def _open_sessions(store: StateStore, officer: Officer) -> int:
    return len(store.find(sessions.COLLECTION, officer_id=officer.id))


def _stale(store: StateStore, officer: Officer) -> Officer:
    """`officer` as read before a sign-in wrote a failure: its version is behind the store's."""
    accounts.update_officer(store, officer, {"failed_logins": [NOW.isoformat()]})
    return officer


def test_unlock_retries_over_a_concurrent_write_and_keeps_sessions(app: Flask) -> None:
    with app.app_context():
        store = state_store()
        officer = _officer(store)
        locked = accounts.update_officer(
            store, officer, {"locked": True, "locked_at": NOW.isoformat()}
        )
        _open_session(store, locked)
        unlocked = officer_admin.unlock(store, _stale(store, locked))
        assert not unlocked.locked
        assert unlocked.failed_logins == ()
        # A lockout never threw the officer out; neither does lifting it.
        assert _open_sessions(store, officer) == 1


@pytest.mark.parametrize("disabled", [True, False])
def test_disable_ends_the_sessions_and_enable_leaves_them(app: Flask, disabled: bool) -> None:
    with app.app_context():
        store = state_store()
        officer = _officer(store)
        _open_session(store, officer)
        changed = officer_admin.set_disabled(store, _stale(store, officer), disabled)
        assert changed.disabled is disabled
        assert _open_sessions(store, officer) == (0 if disabled else 1)


def test_a_new_password_ends_the_sessions(app: Flask) -> None:
    with app.app_context():
        store = state_store()
        officer = _officer(store)
        _open_session(store, officer)
        changed = officer_admin.set_password(store, _stale(store, officer), "another long one")
        assert accounts.check_password(changed, "another long one")
        assert _open_sessions(store, officer) == 0
        with pytest.raises(accounts.AccountError, match="at least"):
            officer_admin.set_password(store, changed, "short")


def test_an_authenticator_reset_ends_the_sessions_and_issues_a_code(app: Flask) -> None:
    with app.app_context():
        store = state_store()
        officer = _officer(store)
        _open_session(store, officer)
        reset, code = officer_admin.reset_authenticator(store, _stale(store, officer), now=NOW)
        assert reset.totp_secret != officer.totp_secret
        assert len(code) == 12
        assert code.isdigit()
        assert _open_sessions(store, officer) == 0
