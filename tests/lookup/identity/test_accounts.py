"""Agencies, API keys and officers on the state store."""

from __future__ import annotations

import json

import pyotp
import pytest
from flask import Flask

from lookup.extensions import state_store
from lookup.identity import accounts, officer_admin
from lookup.store.base import VersionConflict


def test_agency_names_are_unique_regardless_of_case_and_spacing(app: Flask) -> None:
    with app.app_context():
        agency = accounts.create_agency(state_store(), "  Metro   Police ", ori="va0010000")
        assert (agency.name, agency.ori) == ("Metro Police", "VA0010000")
        with pytest.raises(accounts.AccountError, match="name already exists"):
            accounts.create_agency(state_store(), "metro police")
        with pytest.raises(accounts.AccountError, match="ORI already exists"):
            accounts.create_agency(state_store(), "Other", ori="VA0010000")
        with pytest.raises(accounts.AccountError, match="ORI must be"):
            accounts.create_agency(state_store(), "Third", ori="VA-1")
        with pytest.raises(accounts.AccountError, match="control characters"):
            accounts.create_agency(state_store(), "Null\x00Agency")
        # Agencies without an ORI do not clash with each other.
        accounts.create_agency(state_store(), "No ORI One")
        accounts.create_agency(state_store(), "No ORI Two")
        assert accounts.find_agency(state_store(), "METRO POLICE") == agency
        assert len(accounts.list_agencies(state_store())) == 3


def test_api_key_is_shown_once_and_stored_only_as_a_hash(app: Flask) -> None:
    with app.app_context():
        agency = accounts.create_agency(state_store(), "Metro Police")
        api_key, secret = accounts.create_api_key(
            state_store(), agency, role="supervisor", label="CAD"
        )
        assert accounts.looks_like_api_key(secret)
        assert secret.startswith(f"dck_{api_key.key_id}_")
        stored = json.dumps([s.data for s in state_store().find(accounts.API_KEYS)])
        assert secret not in stored
        # The random part may itself contain "_" (URL-safe base64), so cut the known prefix.
        assert secret.removeprefix(f"dck_{api_key.key_id}_") not in stored
        assert accounts.hash_api_key(secret) in stored
        assert accounts.find_api_key_by_secret(state_store(), secret) == api_key
        altered = secret[:-1] + ("B" if secret.endswith("A") else "A")
        assert accounts.find_api_key_by_secret(state_store(), altered) is None
        assert accounts.find_api_key(state_store(), api_key.key_id.lower()) == api_key
        assert accounts.find_api_key(state_store(), secret) == api_key
        revoked = accounts.revoke_api_key(state_store(), api_key)
        assert revoked.revoked
        assert accounts.find_api_key_by_secret(state_store(), secret).revoked  # type: ignore[union-attr]
        with pytest.raises(accounts.AccountError):
            accounts.create_api_key(state_store(), agency, role="admin")  # type: ignore[arg-type]


def test_keys_are_distinct(app: Flask) -> None:
    with app.app_context():
        agency = accounts.create_agency(state_store(), "Metro Police")
        keys = {accounts.create_api_key(state_store(), agency)[1] for _ in range(10)}
    assert len(keys) == 10


def test_officer_password_and_totp(app: Flask) -> None:
    with app.app_context():
        agency = accounts.create_agency(state_store(), "Metro Police")
        officer = accounts.create_officer(
            state_store(),
            agency,
            username=" J.Doe ",
            display_name="Jane  Doe",
            password="correct horse battery",
            role="supervisor",
        )
        assert (officer.username, officer.display_name, officer.role) == (
            "j.doe",
            "Jane Doe",
            "supervisor",
        )
        assert officer.password_hash.startswith("scrypt:")
        assert accounts.check_password(officer, "correct horse battery")
        assert not accounts.check_password(officer, "correct horse batter")
        code = pyotp.TOTP(officer.totp_secret).now()
        assert officer.totp().verify(code)
        assert officer.provisioning_uri().startswith("otpauth://totp/DipCheck:j.doe?")
        assert accounts.find_officer(state_store(), "J.DOE") == officer
        assert accounts.officer_may_log_in(officer)
        with pytest.raises(accounts.AccountError, match="already exists"):
            accounts.create_officer(
                state_store(), agency, username="j.doe", display_name="", password="x" * 12
            )


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("a", "long enough pw", "officer", "username"),
        ("has space", "long enough pw", "officer", "username"),
        ("ok.user", "short", "officer", "at least 8"),
        ("ok.user", "long enough pw", "chief", "role"),
    ],
)
def test_officer_input_is_checked(
    app: Flask, username: str, password: str, role: str, message: str
) -> None:
    with app.app_context():
        agency = accounts.create_agency(state_store(), "Metro Police")
        with pytest.raises(accounts.AccountError, match=message):
            accounts.create_officer(
                state_store(),
                agency,
                username=username,
                display_name="",
                password=password,
                role=role,  # type: ignore[arg-type]
            )


def test_officer_updates_detect_concurrent_changes(app: Flask) -> None:
    with app.app_context():
        agency = accounts.create_agency(state_store(), "Metro Police")
        officer = accounts.create_officer(
            state_store(), agency, username="jdoe", display_name="", password="long enough pw"
        )
        disabled = accounts.update_officer(state_store(), officer, {"disabled": True})
        assert disabled.disabled
        assert not accounts.officer_may_log_in(disabled)
        with pytest.raises(VersionConflict):
            accounts.update_officer(state_store(), officer, {"locked": True})  # a stale copy
        changed = officer_admin.set_password(state_store(), disabled, "another long one")
        assert accounts.check_password(changed, "another long one")
