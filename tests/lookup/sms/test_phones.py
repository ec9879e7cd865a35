"""Phone numbers: normalization, the keyed hash, the enrolment store and the CLI command."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookup.extensions import state_store
from lookup.identity import phones
from lookup.sms.cli import enroll_phone_command
from tests.lookup.sms.conftest import OFFICER_PHONE, SmsEnv, reply_text

SECRET = "k" * 40


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("+15715550123", "+15715550123"),
        ("+1 (571) 555-0123", "+15715550123"),
        ("571.555.0123", "+15715550123"),
        ("(571) 555 0123", "+15715550123"),
        ("1-571-555-0123", "+15715550123"),
        ("0044 20 7946 0000", "+442079460000"),
        ("+33 1 23 45 67 89", "+33123456789"),
    ],
)
def test_normalize_phone(typed: str, e164: str) -> None:
    assert phones.normalize_phone(typed) == e164
    assert phones.is_e164(e164)


@pytest.mark.parametrize(
    "typed", ["", "555-0123", "+0123456789", "+1234567890123456", "call me", "+1 571 ABC 0123"]
)
def test_invalid_phone(typed: str) -> None:
    with pytest.raises(phones.InvalidPhone):
        phones.normalize_phone(typed)


def test_hash_is_keyed_and_stable() -> None:
    one = phones.phone_hash(SECRET, OFFICER_PHONE)
    assert one == phones.phone_hash(SECRET.encode(), OFFICER_PHONE)
    assert one != phones.phone_hash("other" * 8, OFFICER_PHONE)
    assert one != phones.phone_hash(SECRET, "+15715550102")
    assert len(one) == 64
    assert OFFICER_PHONE[2:] not in one


@given(st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True))
def test_hash_never_contains_the_number(number: str) -> None:
    hashed = phones.phone_hash(SECRET, number)
    assert number[1:] not in hashed
    assert phones.normalize_phone(number) == number


def test_enrolment_store_round_trip(sms: SmsEnv) -> None:
    with sms.app.app_context():
        store = state_store()
        hashed = phones.phone_hash(SECRET, "+15715550150")
        enrolment = phones.enrol(store, hashed, officer_id="o-1", agency_id="a-1")
        assert phones.find(store, hashed) == enrolment
        assert not enrolment.disabled
        assert phones.set_disabled(store, enrolment, True).disabled
        # Re-enrolling to the same officer re-enables; another officer may not take the number.
        assert not phones.enrol(store, hashed, officer_id="o-1", agency_id="a-1").disabled
        with pytest.raises(phones.AlreadyEnrolled):
            phones.enrol(store, hashed, officer_id="o-2", agency_id="a-1")
        assert [e.phone_hash for e in phones.of_officer(store, "o-1")] == [hashed]
        assert phones.find(store, phones.phone_hash(SECRET, "+15715550151")) is None


def test_cli_enrols_and_disables_a_phone(sms: SmsEnv) -> None:
    runner = sms.app.test_cli_runner()
    number = "+1 (571) 555-0177"
    result = runner.invoke(enroll_phone_command, ["jdoe", number])
    assert result.exit_code == 0, result.output
    assert "ending 77" in result.output
    assert "5550177" not in result.output
    assert "FULL IMMUNITY" in (reply_text(sms.text("DVL1234", sender="+15715550177")) or "")

    result = runner.invoke(enroll_phone_command, ["jdoe", number, "--disable"])
    assert result.exit_code == 0, result.output
    assert "not enrolled" in (reply_text(sms.text("DVL1234", sender="+15715550177")) or "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["jdoe", "12345"], "international number"),
        (["nobody", "+15715550160"], "no officer"),
        (["rroe", OFFICER_PHONE], "another officer"),
        (["xgone", "+15715550161"], "disabled"),
        (["jdoe", "+15715550162", "--disable"], "not enrolled"),
    ],
)
def test_cli_errors_are_one_line(sms: SmsEnv, args: list[str], message: str) -> None:
    result = sms.app.test_cli_runner().invoke(enroll_phone_command, args)
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_command_is_registered_under_dipcheck_officer() -> None:
    from click.testing import CliRunner

    from lookup.cli import cli

    result = CliRunner().invoke(cli, ["officer", "enroll-phone", "--help"])
    assert result.exit_code == 0, result.output
    assert "USERNAME PHONE" in result.output
    assert "--disable" in result.output
