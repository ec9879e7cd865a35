"""POST /sms/twilio end to end: signed requests, enrolment, control words, every command form,
audit records, rate limits, failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from lookup.sms.commands import CONTROL_WORDS
from lookup.sms.forgeries import forgery_log
from search_index.backend import BackendUnavailable
from tests.lookup.sms.conftest import (
    AUTH_TOKEN,
    CONSUL_CREDENTIAL,
    CONSUL_LICENSE,
    DIPLOMAT_BIRTH_YEAR,
    DIPLOMAT_CREDENTIAL,
    DIPLOMAT_LICENSE,
    DIPLOMAT_PLATE,
    DISABLED_OFFICER_PHONE,
    DISABLED_PHONE,
    MISSION_PLATE,
    OFFICER_PHONE,
    PENDING_CREDENTIAL,
    PUBLIC_URL,
    TWIN_PLATES,
    UNKNOWN_PHONE,
    WEBHOOK_URL,
    SmsEnv,
    make_env,
    new_sid,
    reply_text,
    twilio_params,
)

NOT_ENROLLED = "not enrolled"


def test_plate_lookup_answers_in_one_segment_with_the_audit_reference(sms: SmsEnv) -> None:
    text = reply_text(sms.text(f"P {DIPLOMAT_PLATE}"))
    [entry] = sms.audit()
    assert text is not None
    assert text.startswith(f"{DIPLOMAT_PLATE}: Owner OSTRANDER M.")
    assert "FULL IMMUNITY: no arrest, no home entry, ticket OK." in text
    assert "Ins OK. Reg OK." in text
    assert "Driver may differ" in text
    assert entry.reference in text
    assert text.endswith("24/7 571-345-3146")
    # Least data: no date of birth, no given name, no address.
    assert DIPLOMAT_BIRTH_YEAR not in text
    assert "MIRELA" not in text.upper()
    assert "Washington" not in text

    assert entry.channel == "sms"
    assert entry.action == "plate"
    assert entry.query == DIPLOMAT_PLATE
    assert entry.reason == "traffic_stop"
    assert entry.outcome == "match"
    assert entry.client == sms.hashed(OFFICER_PHONE)
    assert OFFICER_PHONE.lstrip("+") not in str(entry)
    assert entry.actor is not None
    assert entry.actor.startswith("officer:")


def test_reply_is_twiml_and_not_cached(sms: SmsEnv) -> None:
    response = sms.text(DIPLOMAT_PLATE)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_data(as_text=True).startswith("<?xml")


@pytest.mark.parametrize(
    ("body", "kind", "query", "reason", "expected"),
    [
        (f"P {DIPLOMAT_PLATE}", "plate", DIPLOMAT_PLATE, "traffic_stop", "FULL IMMUNITY"),
        ("p dvl-1234", "plate", "DVL1234", "traffic_stop", "FULL IMMUNITY"),
        ("  dvl 1234 ", "plate", "DVL1234", "traffic_stop", "FULL IMMUNITY"),
        ("Plate: DVL1234 crash", "plate", "DVL1234", "crash", "FULL IMMUNITY"),
        (f"ID {DIPLOMAT_CREDENTIAL}", "credential", DIPLOMAT_CREDENTIAL, "traffic_stop", "Card OK"),
        ("id#da-123456 warrant", "credential", "DA123456", "warrant_service", "Card OK"),
        (f"DL {DIPLOMAT_LICENSE}", "license", DIPLOMAT_LICENSE, "traffic_stop", "Lic OK"),
        ("dl: ofm100200 investigation", "license", "OFM100200", "investigation", "Lic OK"),
    ],
)
def test_every_command_form(
    sms: SmsEnv, body: str, kind: str, query: str, reason: str, expected: str
) -> None:
    text = reply_text(sms.text(body))
    [entry] = sms.audit()
    assert text is not None
    assert expected in text
    assert "OSTRANDER M." in text
    assert entry.reference in text
    assert (entry.action, entry.query, entry.reason, entry.outcome) == (
        kind,
        query,
        reason,
        "match",
    )


def test_consular_officer_by_card_transliterates_the_name(sms: SmsEnv) -> None:
    text = reply_text(sms.text(f"ID {CONSUL_CREDENTIAL}"))
    assert text is not None
    assert "ÇELIK-ÑUÑEZ É." in text  # Ú is not GSM-7 and loses its accent; Ç and Ñ are
    assert "OFFICIAL ACTS ONLY: arrest if felony+warrant" in text


def test_suspended_licence(sms: SmsEnv) -> None:
    text = reply_text(sms.text(f"DL {CONSUL_LICENSE}"))
    assert text is not None
    assert "Lic SUSPENDED-NO DRIVING" in text


def test_unverified_person_says_call(sms: SmsEnv) -> None:
    text = reply_text(sms.text(f"ID {PENDING_CREDENTIAL}"))
    assert text is not None
    assert "UNVERIFIED: no arrest, no home entry" in text
    assert text.endswith("CALL 24/7 571-345-3146")


def test_mission_car_uninsured_and_stolen(sms: SmsEnv) -> None:
    text = reply_text(sms.text(f"P {MISSION_PLATE}"))
    assert text is not None
    assert "CORVANIA, mission car, check driver ID." in text
    assert "NO INS-NO DRIVING." in text
    assert "PLATES STOLEN." in text


def test_single_confusable_match_is_flagged(sms: SmsEnv) -> None:
    text = reply_text(sms.text("P DVL1Z34"))  # Z typed for 2
    assert text is not None
    assert text.startswith(f"{DIPLOMAT_PLATE} NEAR MATCH:")


def test_several_confusable_matches_list_plates_to_resend(sms: SmsEnv) -> None:
    text = reply_text(sms.text("P DQB5678"))  # Q is confusable with both 0 and O
    [entry] = sms.audit()
    assert text is not None
    assert text.startswith("2 possible plates:")
    for plate in TWIN_PLATES:
        assert plate in text
    assert "OWNER" not in text.upper().replace("RE-SEND", "")
    assert entry.reference in text


def test_no_match_is_never_read_as_no_immunity(sms: SmsEnv) -> None:
    text = reply_text(sms.text("P ZZ9999"))
    [entry] = sms.audit()
    assert text is not None
    assert text.startswith("No record for plate ZZ9999.")
    assert "Not proof of no immunity" in text
    assert entry.outcome == "no_match"
    assert entry.reference in text


def test_invalid_value_is_refused_and_audited(sms: SmsEnv) -> None:
    text = reply_text(sms.text("P ABCDEFGH12"))  # 10 characters: not a plate
    [entry] = sms.audit()
    assert text is not None
    assert text.startswith("That plate cannot be right")
    assert entry.outcome == "denied"
    assert entry.detail["denied"] == "invalid_query"


def test_unreadable_text_gets_usage_and_no_lookup(sms: SmsEnv) -> None:
    text = reply_text(sms.text("hello, is this thing on"))
    assert text is not None
    assert text.startswith("Not understood.")
    assert sms.audit() == []


# -- control words -------------------------------------------------------------------------


@pytest.mark.parametrize("word", sorted(CONTROL_WORDS))
def test_control_words_are_never_looked_up(sms: SmsEnv, word: str) -> None:
    text = reply_text(sms.text(word.lower()))
    assert sms.audit() == []  # not a lookup, not refused: no audit record
    if CONTROL_WORDS[word] == "stop":
        assert text is None  # Twilio and the carrier confirm opt-outs themselves
    elif CONTROL_WORDS[word] == "start":
        assert text is not None
        assert "re-enabled" in text
    else:
        assert text is not None
        assert "P <plate>" in text


def test_stop_and_start_are_remembered_on_the_enrolment(sms: SmsEnv) -> None:
    assert reply_text(sms.text("STOP")) is None
    enrolment = sms.enrolment(OFFICER_PHONE)
    assert enrolment is not None
    assert enrolment.opted_out
    reply_text(sms.text("Start"))
    enrolment = sms.enrolment(OFFICER_PHONE)
    assert enrolment is not None
    assert not enrolment.opted_out


def test_an_opted_out_phone_gets_no_lookup_until_start(sms: SmsEnv) -> None:
    assert reply_text(sms.text("STOP")) is None
    assert reply_text(sms.text(f"P {DIPLOMAT_PLATE}")) is None
    [entry] = sms.audit()
    assert (entry.outcome, entry.detail["denied"]) == ("denied", "phone_opted_out")
    assert "P <plate>" in (reply_text(sms.text("HELP")) or "")  # HELP is always answered
    reply_text(sms.text("START"))
    assert "FULL IMMUNITY" in (reply_text(sms.text(f"P {DIPLOMAT_PLATE}")) or "")


def test_stop_from_an_unknown_number_is_refused_silently(sms: SmsEnv) -> None:
    assert reply_text(sms.text("STOP", sender=UNKNOWN_PHONE)) is None
    [entry] = sms.audit()
    assert (entry.outcome, entry.action, entry.query) == ("denied", "sms_control", "STOP")


# -- enrolment -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "code", "named"),
    [
        (UNKNOWN_PHONE, "phone_not_enrolled", False),
        (DISABLED_PHONE, "phone_disabled", True),
        (DISABLED_OFFICER_PHONE, "officer_disabled", True),
    ],
)
@pytest.mark.parametrize("body", [f"P {DIPLOMAT_PLATE}", "HELP", "START", "hello"])
def test_unenrolled_and_disabled_phones_get_one_generic_line(
    sms: SmsEnv, phone: str, code: str, named: bool, body: str
) -> None:
    text = reply_text(sms.text(body, sender=phone))
    assert text is not None
    assert NOT_ENROLLED in text
    assert "OSTRANDER" not in text
    assert "IMMUNITY" not in text
    [entry] = sms.audit()
    assert entry.outcome == "denied"
    assert entry.channel == "sms"
    assert entry.detail["denied"] == code
    assert entry.client == sms.hashed(phone)
    # A disabled phone or officer is named, so the refusal shows in that agency's trail.
    assert (entry.actor is not None) == named
    assert (entry.agency_id is not None) == named


def test_the_generic_line_is_the_same_for_every_refusal(sms: SmsEnv) -> None:
    replies = {
        reply_text(sms.text("P DVL1234", sender=phone))
        for phone in (UNKNOWN_PHONE, DISABLED_PHONE, DISABLED_OFFICER_PHONE)
    }
    assert len(replies) == 1


# -- signatures ----------------------------------------------------------------------------


def test_missing_signature_is_403_without_lookup(sms: SmsEnv) -> None:
    response = sms.post_params(twilio_params(f"P {DIPLOMAT_PLATE}", OFFICER_PHONE, new_sid()))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert _no_lookup_recorded(sms)


def test_wrong_signature_is_403(sms: SmsEnv) -> None:
    params = twilio_params(f"P {DIPLOMAT_PLATE}", OFFICER_PHONE, new_sid())
    assert sms.post_params(params, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    other = type(sms.validator)("another-accounts-auth-token-0000")
    forged = other.compute_signature(WEBHOOK_URL, params)
    assert sms.post_params(params, signature=forged).status_code == 403
    assert _no_lookup_recorded(sms)


def _no_lookup_recorded(sms: SmsEnv) -> bool:
    """Only forged-webhook records (at most one per source and minute), never a lookup."""
    return all(
        (entry.action, entry.outcome, entry.query) == ("sms_webhook", "denied", "")
        for entry in sms.audit()
    )


def test_forged_webhooks_are_counted_and_audited_once_per_source_and_minute(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path)
    try:
        params = twilio_params(f"P {DIPLOMAT_PLATE}", OFFICER_PHONE, new_sid())
        for _ in range(4):
            assert env.post_params(params, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
        assert env.post_params(params).status_code == 403  # no signature at all
        [entry] = env.audit()
        assert (entry.channel, entry.action, entry.outcome) == ("sms", "sms_webhook", "denied")
        assert entry.detail["denied"] == "bad_signature"
        assert entry.detail["forged_requests"] == 1
        assert entry.client == "127.0.0.1"
        with env.app.app_context():
            log = forgery_log()
            assert log.total == 5
            # A minute later the source gets its next record, counting what went unrecorded.
            later = datetime.now(UTC) + timedelta(minutes=1, seconds=1)
            log.forged("127.0.0.1", "signature", later)
            log.forged("192.0.2.9", "signature", later)  # another source: its own record
        newest = env.audit()[:2]
        counts = {e.client: e.detail["forged_requests"] for e in newest}
        assert counts == {"127.0.0.1": 5, "192.0.2.9": 1}
    finally:
        env.close()


@pytest.mark.parametrize(
    "signed_url",
    [
        "http://localhost/sms/twilio",  # what the app itself sees behind the proxy
        "http://dipcheck.police.example.gov/sms/twilio",
        "https://evil.example.com/sms/twilio",
        PUBLIC_URL + "/sms/twilio/",
        PUBLIC_URL + "/sms/twilio?x=1",
        PUBLIC_URL + "/api/v1/plates",
    ],
)
def test_signature_for_another_url_is_403(sms: SmsEnv, signed_url: str) -> None:
    params = twilio_params(f"P {DIPLOMAT_PLATE}", OFFICER_PHONE, new_sid())
    response = sms.post_params(params, signature=sms.sign(params, url=signed_url))
    assert response.status_code == 403
    assert sms.audit() == []


def test_signature_is_checked_against_the_public_url_not_forwarded_headers(sms: SmsEnv) -> None:
    params = twilio_params(f"P {DIPLOMAT_PLATE}", OFFICER_PHONE, new_sid())
    evil = "https://evil.example.com/sms/twilio"
    response = sms.post_params(
        params,
        signature=sms.sign(params, url=evil),
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example.com"},
    )
    assert response.status_code == 403


def test_query_string_and_explicit_port_are_part_of_the_signed_url(sms: SmsEnv) -> None:
    params = twilio_params(f"P {DIPLOMAT_PLATE}", OFFICER_PHONE, new_sid())
    signed = sms.sign(params, url=WEBHOOK_URL + "?site=hq")
    assert sms.post_params(params, signature=signed, path="/sms/twilio?site=hq").status_code == 200
    params = twilio_params(f"P {DIPLOMAT_PLATE}", OFFICER_PHONE, new_sid())
    # Twilio has signed with and without :443; the validator accepts both.
    with_port = sms.sign(params, url="https://dipcheck.police.example.gov:443/sms/twilio")
    assert sms.post_params(params, signature=with_port).status_code == 200


def test_altered_body_is_403(sms: SmsEnv) -> None:
    params = twilio_params(f"P {DIPLOMAT_PLATE}", OFFICER_PHONE, new_sid())
    signature = sms.sign(params)
    for name, value in (("Body", "P DVL1235"), ("From", UNKNOWN_PHONE), ("MessageSid", new_sid())):
        assert sms.post_params({**params, name: value}, signature=signature).status_code == 403
    extra = {**params, "Injected": "1"}
    assert sms.post_params(extra, signature=signature).status_code == 403
    dropped = {k: v for k, v in params.items() if k != "FromCity"}
    assert sms.post_params(dropped, signature=signature).status_code == 403
    assert sms.audit() == []


def test_repeated_parameter_is_refused_even_when_signed(sms: SmsEnv) -> None:
    # The validator folds repeated values, so Body=x&Body=x would sign like Body=x.
    params = twilio_params(f"P {DIPLOMAT_PLATE}", OFFICER_PHONE, new_sid())
    signature = sms.sign(params)
    data = MultiDict([*params.items(), ("Body", params["Body"])])
    response = sms.client.post("/sms/twilio", data=data, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_json_body_is_refused(sms: SmsEnv) -> None:
    params = twilio_params(f"P {DIPLOMAT_PLATE}", OFFICER_PHONE, new_sid())
    response = sms.client.post(
        "/sms/twilio", json=params, headers={"X-Twilio-Signature": sms.sign({})}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("missing", ["From", "MessageSid", "Body"])
def test_signed_request_without_sms_fields_is_400_naming_the_field(
    sms: SmsEnv, missing: str
) -> None:
    params = twilio_params(f"P {DIPLOMAT_PLATE}", OFFICER_PHONE, new_sid())
    del params[missing]
    response = sms.post_params(params, signature=sms.sign(params))
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == missing
    assert sms.audit() == []


def test_secondary_auth_token_is_accepted_during_rotation(tmp_path: Path) -> None:
    old_token = "0123456789abcdef0123456789abcdef"
    env = make_env(tmp_path, twilio_auth_token=f"{AUTH_TOKEN}, {old_token}")
    try:
        params = twilio_params(f"P {DIPLOMAT_PLATE}", OFFICER_PHONE, new_sid())
        old_signature = RequestValidator(old_token).compute_signature(WEBHOOK_URL, params)
        assert "FULL IMMUNITY" in (
            reply_text(env.post_params(params, signature=old_signature)) or ""
        )
        assert "FULL IMMUNITY" in (reply_text(env.text(DIPLOMAT_PLATE)) or "")
        params = twilio_params(f"P {DIPLOMAT_PLATE}", OFFICER_PHONE, new_sid())
        stranger = RequestValidator("ffffffffffffffffffffffffffffffff")
        forged = stranger.compute_signature(WEBHOOK_URL, params)
        assert env.post_params(params, signature=forged).status_code == 403
    finally:
        env.close()


def test_replayed_message_is_answered_once(sms: SmsEnv) -> None:
    params = twilio_params(f"P {DIPLOMAT_PLATE}", OFFICER_PHONE, new_sid())
    signature = sms.sign(params)
    first = reply_text(sms.post_params(params, signature=signature))
    assert first is not None
    assert "FULL IMMUNITY" in first
    for _ in range(3):
        assert reply_text(sms.post_params(params, signature=signature)) is None
    assert len(sms.audit()) == 1


def test_replayed_refusal_is_audited_once(sms: SmsEnv) -> None:
    params = twilio_params(f"P {DIPLOMAT_PLATE}", UNKNOWN_PHONE, new_sid())
    signature = sms.sign(params)
    assert reply_text(sms.post_params(params, signature=signature)) is not None
    assert reply_text(sms.post_params(params, signature=signature)) is None
    assert len(sms.audit()) == 1


# -- limits and failures -------------------------------------------------------------------


def test_per_phone_limit(tmp_path: Path) -> None:
    env = make_env(tmp_path, SMS_RATELIMIT_PHONE="2/minute", SMS_RATELIMIT_ALL="100/minute")
    try:
        for _ in range(2):
            assert "FULL IMMUNITY" in (reply_text(env.text(DIPLOMAT_PLATE)) or "")
        limited = reply_text(env.text(DIPLOMAT_PLATE))
        assert limited is not None
        assert limited.startswith("Too many lookups")
        assert "24/7 571-345-3146" in limited
        assert env.audit()[0].reference in limited
        # STOP is honoured whatever the count; an unknown phone is counted on its own.
        assert reply_text(env.text("STOP")) is None
        assert NOT_ENROLLED in (reply_text(env.text(DIPLOMAT_PLATE, sender=UNKNOWN_PHONE)) or "")
        outcomes = [(e.outcome, e.detail.get("denied")) for e in reversed(env.audit())]
        assert outcomes == [
            ("match", None),
            ("match", None),
            ("denied", "rate_limited"),
            ("denied", "phone_not_enrolled"),
        ]
    finally:
        env.close()


def test_global_limit_and_silence_for_limited_unknown_numbers(tmp_path: Path) -> None:
    env = make_env(tmp_path, SMS_RATELIMIT_PHONE="100/minute", SMS_RATELIMIT_ALL="2/minute")
    try:
        assert NOT_ENROLLED in (reply_text(env.text("P DVL1234", sender=UNKNOWN_PHONE)) or "")
        assert "FULL IMMUNITY" in (reply_text(env.text(DIPLOMAT_PLATE)) or "")
        assert (reply_text(env.text(DIPLOMAT_PLATE)) or "").startswith("Too many lookups")
        # Once limited, an unknown number gets nothing at all: every reply costs money.
        assert reply_text(env.text("P DVL1234", sender=UNKNOWN_PHONE)) is None
        assert [e.detail.get("denied") for e in env.audit()][:2] == ["rate_limited"] * 2
    finally:
        env.close()


def test_index_down_says_cannot_verify_with_reference(
    sms: SmsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sms.app.app_context():
        from lookup.extensions import search_backend

        backend = search_backend()

    def down() -> None:
        raise BackendUnavailable("index down")

    monkeypatch.setattr(backend, "snapshot", down)
    text = reply_text(sms.text(DIPLOMAT_PLATE))
    [entry] = sms.audit()
    assert text is not None
    assert text.startswith("Cannot verify now. Call 24/7 571-345-3146")
    assert entry.outcome == "error"
    assert entry.reference in text


def test_audit_failure_refuses_the_answer(sms: SmsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    from lookup.audit.records import AuditUnavailable

    def broken(*args: object, **kwargs: object) -> None:
        raise AuditUnavailable("disk full")

    monkeypatch.setattr("lookup.answers.service.record", broken)
    text = reply_text(sms.text(DIPLOMAT_PLATE))
    assert text is not None
    assert text.startswith("Cannot verify now.")
    assert "OSTRANDER" not in text


def test_state_store_down_answers_only_the_number_to_call(
    sms: SmsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lookup.store.base import StoreUnavailable

    def down(*args: object) -> bool:
        raise StoreUnavailable("database is locked")

    monkeypatch.setattr("lookup.sms.replay.claim", down)
    text = reply_text(sms.text(DIPLOMAT_PLATE))
    assert text is not None
    assert text.startswith("Cannot verify now. Call 24/7 571-345-3146")
    assert "OSTRANDER" not in text


def test_unconfigured_channel_is_404(tmp_path: Path) -> None:
    from lookup import create_app

    app = create_app(data_dir=tmp_path / "data", TESTING=True)
    params = twilio_params("P DVL1234", OFFICER_PHONE, new_sid())
    response = app.test_client().post("/sms/twilio", data=params)
    assert response.status_code == 404


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=st.text(max_size=220))
def test_any_text_from_an_enrolled_phone_gets_one_segment_and_at_most_one_record(
    sms_module: SmsEnv, body: str
) -> None:
    before = len(sms_module.all_audit())
    response = sms_module.text(body)
    assert response.status_code == 200
    text = reply_text(response)  # checks one GSM-7 segment
    written = sms_module.all_audit()[: len(sms_module.all_audit()) - before]
    assert len(written) <= 1
    if written and written[0].outcome == "denied":
        assert written[0].detail["denied"] in ("invalid_query", "phone_opted_out")
    elif written:
        assert text is not None
        assert written[0].reference in text
    enrolment = sms_module.enrolment(OFFICER_PHONE)
    assert enrolment is not None
    if enrolment.opted_out:  # the example was a STOP word: opt back in for the next one
        reply_text(sms_module.text("START"))


def test_officer_list_shows_the_stop_opt_out(sms: SmsEnv) -> None:
    from lookup.cli import cli

    runner = sms.app.test_cli_runner()
    before = runner.invoke(cli, ["officer", "list"])
    assert before.exit_code == 0, before.output
    [jdoe] = [line for line in before.output.splitlines() if line.startswith("jdoe ")]
    assert "sms: 1 phone enrolled" in jdoe
    assert "opted out" not in jdoe
    reply_text(sms.text("STOP"))
    after = runner.invoke(cli, ["officer", "list", "--agency", "Arlington County Police"])
    [jdoe] = [line for line in after.output.splitlines() if line.startswith("jdoe ")]
    assert "opted out (STOP)" in jdoe
    [rroe] = [line for line in after.output.splitlines() if line.startswith("rroe ")]
    assert "sms: no phone enrolled" in rroe
    [xgone] = [line for line in after.output.splitlines() if line.startswith("xgone ")]
    assert "disabled" in xgone
