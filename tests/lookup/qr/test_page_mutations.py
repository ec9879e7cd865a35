"""More than a thousand mutated tokens through the real page: every one gets the screen its
mutation calls for, and none shows anything from the token or the record behind it."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lookup.qr.tokens import Claims, sign
from tests.factories import DIPLOMAT_CREDENTIAL, DIPLOMAT_PLATE
from tests.lookup.qr.conftest import QrEnv

SECRETS = ("Ostrander", "Mirela", "Valdoria", "Tatra", DIPLOMAT_CREDENTIAL, DIPLOMAT_PLATE)


def _raw(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _mutations(env: QrEnv) -> list[tuple[str, str]]:
    """(token, expected result) pairs."""
    now = int(datetime.now(UTC).timestamp())
    key = env.keys.signer()
    out: list[tuple[str, str]] = []
    # Every bit of the credential token, every other bit of the vehicle token (the page test
    # is about screens; tests/lookup/qr/test_tokens.py flips every bit of every kind).
    for token, bits in (
        (env.token("credential", DIPLOMAT_CREDENTIAL), range(8)),
        (env.token("vehicle", DIPLOMAT_PLATE), range(0, 8, 2)),
    ):
        raw = _raw(token)
        for index in range(len(raw)):
            for bit in bits:
                flipped = bytearray(raw)
                flipped[index] ^= 1 << bit
                expected = "unknown_key" if 2 <= index < 6 else "invalid"
                out.append((_b64(bytes(flipped)), expected))
        out += [(token[:length], "invalid") for length in range(1, len(token), 3)]
        for version in (0, 2, 0x7F, 0xFF):
            out.append((_b64(bytes([version]) + raw[1:]), "invalid"))
    out.append((sign(Claims("credential", DIPLOMAT_CREDENTIAL, now - 99, now - 1), key), "expired"))
    out.append(
        (sign(Claims("vehicle", DIPLOMAT_PLATE, now + 900, now + 999), key), "not_yet_valid")
    )
    out.append((sign(Claims("credential", "OF900001", now - 9, now + 99), key), "revoked"))
    return out


def test_over_a_thousand_mutated_tokens_get_their_screen(qr_env: QrEnv) -> None:
    cases = _mutations(qr_env)
    assert len(cases) > 1000
    for token, expected in cases:
        response = qr_env.client.get(f"/v/{token}", headers={"Accept": "application/json"})
        assert response.status_code == 200, token
        body = response.get_json()
        assert body["result"] == expected, (token, body)
        assert "document" not in body
        assert "answer" not in body
        text = response.get_data(as_text=True)
        assert not any(secret in text for secret in SECRETS), (token, text)
        assert "either way" in body["notice"]


def test_failed_html_screens_show_no_payload(qr_env: QrEnv) -> None:
    for token, expected in _mutations(qr_env)[::25]:
        page = qr_env.client.get(f"/v/{token}", headers={"Accept": "text/html"})
        text = page.get_data(as_text=True)
        assert "NOT VERIFIED" in text, expected
        assert not any(secret in text for secret in SECRETS)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(garbage=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_arbitrary_paths_never_fail_the_page(qr_env: QrEnv, garbage: str) -> None:
    response = qr_env.client.get(
        f"/v/{quote(garbage, safe='')}", headers={"Accept": "application/json"}
    )
    if garbage == "":  # /v/ itself: no token, no page
        assert response.status_code == 404
        return
    # Slashes and line breaks included, anything after /v/ is one (invalid) code: the invalid
    # screen, never a 404 or a redirect.
    assert response.status_code == 200
    assert response.get_json()["result"] in ("invalid", "unknown_key")
