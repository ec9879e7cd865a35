"""The token format: round trips, and more than a thousand mutated tokens, each rejected with the
verdict its mutation calls for and with no claims exposed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookup.qr.keys import KeySet, KeyStore, SigningKey
from lookup.qr.tokens import (
    FORMAT_VERSION,
    Claims,
    ReceiptFacts,
    TokenFormatError,
    Verdict,
    extract_token,
    sign,
    verify,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T0 = int(NOW.timestamp())
KID = slice(2, 6)


@pytest.fixture(scope="module")
def ring(tmp_path_factory: pytest.TempPathFactory) -> tuple[SigningKey, KeySet]:
    store = KeyStore(Path(tmp_path_factory.mktemp("ring")))
    store.create(now=NOW - timedelta(days=1))
    return store.signer(), store.keyset()


def _raw(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def _token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


SAMPLES = [
    Claims("credential", "D1234567", T0 - 60, T0 + 86400 * 400),
    Claims("vehicle", "DAB1234", T0 - 60, T0 + 86400 * 300),
    Claims(
        "receipt",
        "R7Q2M9XK4B",
        T0 - 60,
        T0 + 86400 * 2000,
        ReceiptFacts("web", "plate", "match", 2, "DAB 1234", "FO/ins:v"),
    ),
]


@pytest.mark.parametrize("claims", SAMPLES, ids=lambda claims: claims.kind)
def test_round_trip(ring: tuple[SigningKey, KeySet], claims: Claims) -> None:
    key, keys = ring
    result = verify(sign(claims, key), keys, NOW)
    assert result.verdict is Verdict.VALID
    assert result.code == "QR-VALID"
    assert result.claims == claims
    assert result.kid == key.kid


def test_signing_is_deterministic_and_compact(ring: tuple[SigningKey, KeySet]) -> None:
    key, _ = ring
    assert sign(SAMPLES[0], key) == sign(SAMPLES[0], key)
    # 14 header + 9 subject + 64 signature bytes = 87 bytes, 116 base64url characters
    assert len(sign(SAMPLES[0], key)) == 116


def _expected_for_flip(byte_index: int) -> Verdict:
    return Verdict.UNKNOWN_KEY if KID.start <= byte_index < KID.stop else Verdict.INVALID


def _assert_rejected(token: str, keys: KeySet, expected: Verdict) -> None:
    result = verify(token, keys, NOW)
    assert result.verdict is expected, (token, result)
    assert result.shown_claims is None
    if expected is not Verdict.EXPIRED and expected is not Verdict.NOT_YET_VALID:
        assert result.claims is None  # unverified content is never even decoded


def test_every_single_bit_flip_is_rejected(ring: tuple[SigningKey, KeySet]) -> None:
    key, keys = ring
    checked = 0
    for claims in SAMPLES:
        raw = _raw(sign(claims, key))
        for index in range(len(raw)):
            for bit in range(8):
                mutated = bytearray(raw)
                mutated[index] ^= 1 << bit
                _assert_rejected(_token(bytes(mutated)), keys, _expected_for_flip(index))
                checked += 1
    assert checked > 2000


def test_every_truncation_and_extension_is_rejected(ring: tuple[SigningKey, KeySet]) -> None:
    key, keys = ring
    for claims in SAMPLES:
        token = sign(claims, key)
        raw = _raw(token)
        for length in range(len(token)):
            result = verify(token[:length], keys, NOW)
            assert result.verdict is Verdict.INVALID
            assert result.claims is None
        for cut in range(1, len(raw)):
            assert verify(_token(raw[:-cut]), keys, NOW).verdict is Verdict.INVALID
        for extra in (b"\x00", b"A" * 3, raw[-64:]):
            assert verify(_token(raw + extra), keys, NOW).verdict is Verdict.INVALID


@pytest.mark.parametrize("version", [value for value in range(256) if value != FORMAT_VERSION])
def test_other_format_versions_are_rejected(ring: tuple[SigningKey, KeySet], version: int) -> None:
    key, keys = ring
    raw = bytearray(_raw(sign(SAMPLES[0], key)))
    raw[0] = version
    result = verify(_token(bytes(raw)), keys, NOW)
    assert (result.verdict, result.code) == (Verdict.INVALID, "QR-VERSION")


def test_unknown_type_codes_and_other_algorithms_are_rejected(
    ring: tuple[SigningKey, KeySet],
) -> None:
    key, keys = ring
    raw = _raw(sign(SAMPLES[0], key))
    for code in range(256):
        if chr(code) in "CVRT":  # credential, vehicle, receipt, training certificate
            continue
        mutated = bytearray(raw)
        mutated[1] = code
        assert verify(_token(bytes(mutated)), keys, NOW).code == "QR-TYPE"
    # A JWS-style token ("alg": "none" or HS256) is not our format at all.
    for foreign in (
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJEMTIzIn0.",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJEMTIzIn0.c2lnbmF0dXJl",
        "HC1:6BFOXN%TS3DH0YOJ58S",
    ):
        assert verify(foreign, keys, NOW).verdict is Verdict.INVALID


def test_a_different_key_with_a_kid_we_know_fails_the_signature(
    ring: tuple[SigningKey, KeySet], tmp_path: Path
) -> None:
    key, keys = ring
    other = KeyStore(tmp_path)
    other.create(now=NOW)
    forged_signer = SigningKey(key.kid, other.signer().private_key)  # claims our key id
    result = verify(sign(SAMPLES[0], forged_signer), keys, NOW)
    assert (result.verdict, result.code, result.claims) == (Verdict.INVALID, "QR-SIGNATURE", None)
    foreign = verify(sign(SAMPLES[0], other.signer()), keys, NOW)
    assert (foreign.verdict, foreign.code) == (Verdict.UNKNOWN_KEY, "QR-UNKNOWN-KEY")


def test_expired_and_not_yet_valid(ring: tuple[SigningKey, KeySet]) -> None:
    key, keys = ring
    expired = Claims("credential", "D1", T0 - 1000, T0)
    assert verify(sign(expired, key), keys, NOW).verdict is Verdict.EXPIRED
    early = Claims("credential", "D1", T0 + 301, T0 + 9000)
    result = verify(sign(early, key), keys, NOW)
    assert result.verdict is Verdict.NOT_YET_VALID
    assert result.shown_claims is None
    within_skew = Claims("credential", "D1", T0 + 299, T0 + 9000)
    assert verify(sign(within_skew, key), keys, NOW).verdict is Verdict.VALID


@settings(max_examples=400, deadline=None)
@given(garbage=st.text(max_size=600))
def test_arbitrary_text_never_raises_and_never_validates(
    ring: tuple[SigningKey, KeySet], garbage: str
) -> None:
    _, keys = ring
    result = verify(garbage, keys, NOW)
    assert result.verdict in (Verdict.INVALID, Verdict.UNKNOWN_KEY)
    assert result.claims is None


@settings(max_examples=300, deadline=None)
@given(
    subject=st.text(min_size=1, max_size=20).filter(lambda s: 0 < len(s.encode()) <= 64),
    issued=st.integers(0, 2**32 - 1),
    lifetime=st.integers(0, 10**8),
    kind=st.sampled_from(["credential", "vehicle"]),
)
def test_any_encodable_claims_round_trip(
    ring: tuple[SigningKey, KeySet], subject: str, issued: int, lifetime: int, kind: str
) -> None:
    key, keys = ring
    expires = min(issued + lifetime, 2**32 - 1)
    claims = Claims(kind, subject, issued, expires)  # type: ignore[arg-type]
    moment = datetime.fromtimestamp(issued, UTC)
    result = verify(sign(claims, key), keys, moment)
    expected = Verdict.VALID if expires > issued else Verdict.EXPIRED
    assert result.verdict is expected
    assert result.claims == claims


def test_claims_that_cannot_be_encoded(ring: tuple[SigningKey, KeySet]) -> None:
    key, _ = ring
    for bad in (
        Claims("credential", "", T0, T0 + 1),
        Claims("credential", "X" * 65, T0, T0 + 1),
        Claims("credential", "D1", T0 + 1, T0),
        Claims("credential", "D1", T0, 2**32),
        Claims("receipt", "R1", T0, T0 + 1),  # receipt without its facts
        Claims("receipt", "R1", T0, T0 + 1, ReceiptFacts("fax", "plate", "match", 1, "", "")),
    ):
        with pytest.raises(TokenFormatError):
            sign(bad, key)


def test_long_receipt_query_is_cut_at_a_character_boundary(
    ring: tuple[SigningKey, KeySet],
) -> None:
    key, keys = ring
    facts = ReceiptFacts("api", "person", "no_match", 0, "Ŵ" * 40, "none")
    result = verify(sign(Claims("receipt", "R1", T0, T0 + 10, facts), key), keys, NOW)
    assert result.claims is not None
    assert result.claims.receipt is not None
    assert set(result.claims.receipt.query) == {"Ŵ"}
    assert len(result.claims.receipt.query) < 40


@pytest.mark.parametrize(
    ("scanned", "token"),
    [
        ("abc_-9", "abc_-9"),
        ("https://dipcheck.example.gov/v/abc_-9", "abc_-9"),
        ("  https://x.example/base/v/abc?utm=1#frag\n", "abc"),
    ],
)
def test_extract_token(scanned: str, token: str) -> None:
    assert extract_token(scanned) == token
