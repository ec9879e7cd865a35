"""Key rotation seen from the verification page and the published key set: both keys verify in
the overlap; after retirement the old key's codes read "unknown key", never an error page."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import DIPLOMAT_CREDENTIAL
from tests.lookup.qr.conftest import QrEnv

JSON = {"Accept": "application/json"}


def _result(env: QrEnv, token: str) -> tuple[int, str]:
    response = env.client.get(f"/v/{token}", headers=JSON)
    return response.status_code, response.get_json()["result"]


def _published(env: QrEnv) -> dict[str, str]:
    keys = env.client.get("/.well-known/dipcheck-keys.json").get_json()["keys"]
    return {entry["kid"]: entry["status"] for entry in keys}


def test_overlap_then_retirement(qr_env: QrEnv) -> None:
    old_kid = qr_env.keys.signer().kid
    old_token = qr_env.token("credential", DIPLOMAT_CREDENTIAL)
    new_kid = qr_env.keys.rotate(timedelta(days=30)).kid
    new_token = qr_env.token("credential", DIPLOMAT_CREDENTIAL)
    assert old_token != new_token

    assert _result(qr_env, old_token) == (200, "valid")
    assert _result(qr_env, new_token) == (200, "valid")
    assert _published(qr_env) == {old_kid: "verifying", new_kid: "active"}

    qr_env.keys.retire(old_kid)
    assert _result(qr_env, old_token) == (200, "unknown_key")
    assert _result(qr_env, new_token) == (200, "valid")
    assert _published(qr_env) == {new_kid: "active"}
    page = qr_env.client.get(f"/v/{old_token}", headers={"Accept": "text/html"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "unknown signing key" in text
    assert "Ostrander" not in text


def test_no_key_ring_reads_unavailable_not_an_error(qr_env: QrEnv) -> None:
    token = qr_env.token("credential", DIPLOMAT_CREDENTIAL)
    ring = qr_env.keys.directory / "keyring.json"
    ring.write_text("{ not json")
    status, result = _result(qr_env, token)
    assert (status, result) == (503, "unavailable")
    keys = qr_env.client.get("/.well-known/dipcheck-keys.json")
    assert keys.status_code == 503
    assert keys.get_json()["error"]["code"] == "unavailable"


def test_key_set_is_cacheable_and_public(qr_env: QrEnv) -> None:
    response = qr_env.client.get("/.well-known/dipcheck-keys.json")
    assert response.headers["Cache-Control"] == "public, max-age=300"
    body = response.get_json()
    assert body["format"] == "dipcheck-qr-keys/1"
    (entry,) = body["keys"]
    assert (entry["kty"], entry["crv"], entry["alg"]) == ("OKP", "Ed25519", "EdDSA")
    assert "d" not in entry  # never the private part


def test_ensure_signing_key_creates_only_the_first(qr_env: QrEnv, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lookup import create_app
    from lookup.qr.key_ring import ensure_signing_key, keystore

    with qr_env.app.app_context():
        assert ensure_signing_key() is None  # the fixture's key is active
    fresh = create_app(data_dir=tmp_path / "fresh", TESTING=True)
    with fresh.app_context():
        created = ensure_signing_key()
        assert created is not None
        assert keystore().signer().kid == created.kid
        assert ensure_signing_key() is None
