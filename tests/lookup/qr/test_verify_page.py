"""GET /v/<token>: a distinct screen per verdict, the live record, audit, the full answer."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

import pytest

from lookup.extensions import state_store
from lookup.qr.tokens import Claims, sign
from lookup.store.base import AuditFilter
from tests.factories import DIPLOMAT_CREDENTIAL, DIPLOMAT_PLATE
from tests.lookup.qr.conftest import PUBLIC_URL, QrEnv

HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}
PHONE = "(571) 345-3146"
NAME = "Ostrander"  # the diplomat's family name: must never appear on a failed screen


def _page(env: QrEnv, token: str, **headers: str) -> tuple[int, str]:
    response = env.client.get(f"/v/{token}", headers=HTML | headers)
    return response.status_code, response.get_data(as_text=True)


def _result(env: QrEnv, token: str) -> dict:  # type: ignore[type-arg]
    response = env.client.get(f"/v/{token}", headers=JSON)
    return response.get_json()  # type: ignore[no-any-return]


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


def test_valid_credential_shows_minimum_to_compare(qr_env: QrEnv) -> None:
    status, page = _page(qr_env, qr_env.token("credential", DIPLOMAT_CREDENTIAL))
    assert status == 200
    assert "tone-good" in page
    assert "VALID" in page
    for shown in ("Mirela Ostrander", "Embassy of Valdoria", "Diplomatic", DIPLOMAT_CREDENTIAL):
        assert shown in page
    assert "1975" not in page  # no date of birth on the public screen
    assert "Compare these with the card" in page
    assert PUBLIC_URL in page  # the fixed address cue against look-alike pages


def test_valid_vehicle_shows_plate_make_colour(qr_env: QrEnv) -> None:
    body = _result(qr_env, qr_env.token("vehicle", DIPLOMAT_PLATE))
    assert body["result"] == "valid"
    facts = {fact["label"]: fact["value"] for fact in body["document"]["facts"]}
    assert facts["Plate"] == DIPLOMAT_PLATE
    assert facts["Make"] == "Tatra"
    assert facts["Colour"] == "black"
    assert facts["Mission"] == "Embassy of Valdoria"


def _forged(env: QrEnv) -> str:
    raw = bytearray(base64.urlsafe_b64decode(env.token("credential", DIPLOMAT_CREDENTIAL) + "=="))
    raw[-1] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def _assert_failed_screen(page: str, tone: str) -> None:
    assert f"tone-{tone}" in page
    assert "NOT VERIFIED" in page
    assert "does not establish the person&#39;s immunity status either way" in page
    assert PHONE in page
    assert 'href="tel:+15713453146"' in page
    assert NAME not in page
    assert DIPLOMAT_CREDENTIAL not in page
    assert "no immunity" not in page.lower()


@pytest.mark.parametrize(
    ("make", "tone", "code"),
    [
        (_forged, "bad", "QR-SIGNATURE"),
        (lambda env: "not-a-token", "bad", "QR-FORMAT"),
        (lambda env: "A" * 2000, "bad", "QR-FORMAT"),
        # A slash (a mangled scan, a forged path) is an invalid code, not a missing page.
        (lambda env: "abc/def", "bad", "QR-FORMAT"),
        (lambda env: env.token("credential", DIPLOMAT_CREDENTIAL)[:40] + "/x", "bad", "QR-FORMAT"),
    ],
)
def test_invalid_codes(qr_env: QrEnv, make, tone: str, code: str) -> None:  # type: ignore[no-untyped-def]
    status, page = _page(qr_env, make(qr_env))
    assert status == 200
    _assert_failed_screen(page, tone)
    assert "invalid code" in page
    assert code in page


def test_expired_and_not_yet_valid_tokens(qr_env: QrEnv) -> None:
    key = qr_env.keys.signer()
    expired = sign(Claims("credential", DIPLOMAT_CREDENTIAL, _now() - 900, _now() - 1), key)
    status, page = _page(qr_env, expired)
    assert status == 200
    _assert_failed_screen(page, "warn")
    assert "code expired" in page
    early = sign(Claims("credential", DIPLOMAT_CREDENTIAL, _now() + 3600, _now() + 9000), key)
    status, page = _page(qr_env, early)
    assert status == 200
    _assert_failed_screen(page, "warn")
    assert "not yet valid" in page


def test_revoked_credential_in_the_live_record(qr_env: QrEnv) -> None:
    # The service staff member's card is recorded as expired and accreditation pending: a code
    # signed earlier (when it was valid) must now read "no longer valid".
    key = qr_env.keys.signer()
    token = sign(Claims("credential", "OF900001", _now() - 60, _now() + 9000), key)
    status, page = _page(qr_env, token)
    assert status == 200
    _assert_failed_screen(page, "bad")
    assert "document no longer valid" in page
    assert "recorded as expired" in page
    assert "Quell" not in page
    gone = sign(Claims("vehicle", "ZZ999", _now() - 60, _now() + 9000), key)
    assert _result(qr_env, gone)["result"] == "revoked"


def test_unknown_key(qr_env: QrEnv, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lookup.qr.keys import KeyStore

    stranger = KeyStore(tmp_path / "stranger")
    stranger.create()
    token = sign(Claims("credential", DIPLOMAT_CREDENTIAL, _now(), _now() + 99), stranger.signer())
    status, page = _page(qr_env, token)
    assert status == 200
    _assert_failed_screen(page, "bad")
    assert "unknown signing key" in page


def test_index_down_reads_cannot_verify_now(qr_env: QrEnv) -> None:
    token = qr_env.token("credential", DIPLOMAT_CREDENTIAL)
    backend = qr_env.app.extensions["dipcheck"].backend

    class Down:
        def snapshot(self):  # type: ignore[no-untyped-def]
            from search_index.backend import BackendUnavailable

            raise BackendUnavailable("down")

    qr_env.app.extensions["dipcheck"].backend = Down()
    try:
        status, page = _page(qr_env, token)
    finally:
        qr_env.app.extensions["dipcheck"].backend = backend
    assert status == 503
    _assert_failed_screen(page, "warn")
    assert "Cannot verify now" in page


def test_every_screen_is_distinct(qr_env: QrEnv, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lookup.qr.screens import SCREENS

    titles = {screen.title for screen in SCREENS.values()}
    assert len(titles) == len(SCREENS)


def test_public_scans_are_audited_without_actor(qr_env: QrEnv) -> None:
    _page(qr_env, qr_env.token("credential", DIPLOMAT_CREDENTIAL))
    _page(qr_env, _forged(qr_env))
    with qr_env.app.app_context():
        records = list(state_store().iter_audit(AuditFilter(channel="qr")))
    assert [(r.outcome, r.detail["result"]) for r in records] == [
        ("denied", "invalid"),
        ("match", "valid"),
    ]
    forged, valid = records
    assert valid.actor is None
    assert valid.agency_id is None
    # No lookup reason is given on a public scan, and the record says so explicitly.
    assert valid.reason == forged.reason == "public_scan"
    assert valid.action == "qr"
    assert valid.query == DIPLOMAT_CREDENTIAL
    assert forged.query == ""  # unverified content is not trusted, even for the audit
    assert re.fullmatch(r"[0-9a-f]{32}", forged.detail["token_sha256"])


def test_officer_with_bearer_key_gets_the_full_answer_audited_as_qr(qr_env: QrEnv) -> None:
    token = qr_env.token("credential", DIPLOMAT_CREDENTIAL)
    status, page = _page(qr_env, token, **qr_env.auth())
    assert status == 200
    assert 'name="reason"' in page  # a lookup needs a reason first
    response = qr_env.client.get(f"/v/{token}?reason=traffic_stop", headers=JSON | qr_env.auth())
    body = response.get_json()
    assert body["answer"]["matches"][0]["immunity"]["level"] == "full"
    with qr_env.app.app_context():
        records = list(state_store().iter_audit(AuditFilter(channel="qr")))
    # The form (a scan without a reason), then the full answer: one record for that look, the
    # lookup's, which carries the code's facts too.
    assert [(r.action, r.reason) for r in records] == [
        ("credential", "traffic_stop"),
        ("qr", "public_scan"),
    ]
    lookup = records[0]
    assert (lookup.action, lookup.reason, lookup.outcome) == ("credential", "traffic_stop", "match")
    assert lookup.detail["scan"]["result"] == "valid"
    assert re.fullmatch(r"[0-9a-f]{32}", lookup.detail["scan"]["token_sha256"])
    assert lookup.actor is not None
    assert lookup.actor.startswith("apikey:")
    assert lookup.reference == body["answer"]["reference"]


def test_officer_full_answer_is_rendered(qr_env: QrEnv) -> None:
    token = qr_env.token("vehicle", DIPLOMAT_PLATE)
    status, page = _page(qr_env, f"{token}?reason=crash", **qr_env.auth())
    assert status == 200
    assert "Full record" in page
    # The shared answer card, in the officer's order: the registrant's verdict, the call and the
    # reference before the vehicle's insurance, and all of it before the code's own check.
    verdict = page.index("FULL IMMUNITY")
    call = page.index('class="button call"')
    insured = page.index(">Insured<")
    assert verdict < call < insured < page.index('class="result tone-good"')


def test_officer_with_a_bad_reason_gets_400_with_the_form(qr_env: QrEnv) -> None:
    token = qr_env.token("vehicle", DIPLOMAT_PLATE)
    status, page = _page(qr_env, f"{token}?reason=curiosity", **qr_env.auth())
    assert status == 400
    assert "reason:" in page
    assert 'name="reason"' in page


def test_no_full_answer_for_failed_codes(qr_env: QrEnv) -> None:
    status, page = _page(qr_env, f"{_forged(qr_env)}?reason=crash", **qr_env.auth())
    assert status == 200
    assert "Full record" not in page
    assert NAME not in page


def test_rate_limit_per_client_address(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lookup import create_app

    app = create_app(data_dir=tmp_path, TESTING=True, QR_RATELIMIT="3/minute")
    client = app.test_client()
    statuses = [
        client.get("/v/x", headers=HTML, environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/v/x", headers=HTML, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert "Too many checks" in limited.get_data(as_text=True)
    other = client.get("/v/x", headers=HTML, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 200


def test_security_headers(qr_env: QrEnv) -> None:
    response = qr_env.client.get(f"/v/{qr_env.token('vehicle', DIPLOMAT_PLATE)}", headers=HTML)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "<script" not in response.get_data(as_text=True)


def test_expiring_lifetime_is_respected(qr_env: QrEnv) -> None:
    token = qr_env.token("credential", DIPLOMAT_CREDENTIAL, lifetime=timedelta(days=1))
    assert _result(qr_env, token)["result"] == "valid"
    expires = datetime.fromisoformat(_result(qr_env, token)["document"]["expires_at"])
    assert expires - datetime.now(UTC) < timedelta(days=1, minutes=1)


def test_signed_in_officer_gets_the_remembered_reason_preselected(qr_env: QrEnv) -> None:
    from lookup.extensions import state_store
    from lookup.identity import accounts, sessions

    with qr_env.app.test_request_context():
        agency = accounts.find_agency(state_store(), "Arlington County Police")
        assert agency is not None
        officer = accounts.create_officer(
            state_store(),
            agency,
            username="ada",
            display_name="Ada",
            password="correct horse battery 9",
        )
        cookie, _ = sessions.create_session(
            state_store(),
            officer_id=officer.id,
            agency_id=agency.id,
            agency_name=agency.name,
            role="officer",
            stage="active",
            now=datetime.now(UTC),
            reason="crash",
        )
        name = sessions.cookie_name()
    qr_env.client.set_cookie(name, cookie)
    status, page = _page(qr_env, qr_env.token("credential", DIPLOMAT_CREDENTIAL))
    assert status == 200
    assert '<option value="crash" selected>' in page
    assert "Signed in as Arlington County Police" in page


def test_scan_limit_from_the_environment_and_a_bad_one_stops_start_up(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from lookup import ConfigError, create_app

    monkeypatch.setenv("DIPCHECK_QR_RATELIMIT", "2/minute")
    app = create_app(data_dir=tmp_path / "a", TESTING=True)
    client = app.test_client()
    assert [client.get("/v/x").status_code for _ in range(3)] == [200, 200, 429]
    monkeypatch.setenv("DIPCHECK_QR_RATELIMIT", "lots")
    with pytest.raises(ConfigError, match="DIPCHECK_QR_RATELIMIT"):
        create_app(data_dir=tmp_path / "b", TESTING=True)


def test_keys_directory_setting_moves_the_key_ring(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from lookup import create_app
    from lookup.qr.key_ring import ensure_signing_key

    mounted = tmp_path / "secret-volume"
    monkeypatch.setenv("DIPCHECK_QR_KEYS_DIR", str(mounted))
    app = create_app(data_dir=tmp_path / "data", TESTING=True)
    with app.app_context():
        key = ensure_signing_key()
    assert key is not None
    assert (mounted / f"{key.kid}.pem").is_file()
    assert not (tmp_path / "data" / "qr_keys").exists()


def test_a_card_reads_valid_all_of_its_last_day_in_the_local_zone(qr_env: QrEnv) -> None:
    from lookup.qr.verification import check_token

    # The card's last day is 2027-09-01; 02:00 UTC on the 2nd is 22:00 on the 1st in New York
    # (DIPCHECK_TIMEZONE's default), still the card's last day where the officer stands.
    issued_at = datetime(2027, 8, 1, tzinfo=UTC)
    token = qr_env.token("credential", DIPLOMAT_CREDENTIAL, now=issued_at)
    with qr_env.app.app_context():
        evening = check_token(token, datetime(2027, 9, 2, 2, 0, tzinfo=UTC))
        after = check_token(token, datetime(2027, 9, 2, 4, 0, tzinfo=UTC))
    assert evening.verification.verdict.value == "valid"
    assert evening.screen.verdict.value == "valid"
    assert after.verification.verdict.value == "expired"


def test_every_qr_screen_carries_the_system_use_notice(qr_env: QrEnv) -> None:
    for token in (qr_env.token("credential", DIPLOMAT_CREDENTIAL), "not-a-token"):
        _, page = _page(qr_env, token)
        assert "Restricted system: notice" in page
        assert "monitored, recorded and audited" in page
