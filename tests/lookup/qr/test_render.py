"""QR images: a real decoder reads the token back, and every code fits version 12 at level Q."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
import qrcode.constants

from lookup.qr import render
from lookup.qr.keys import KeyStore, SigningKey
from lookup.qr.tokens import (
    MAX_SUMMARY_BYTES,
    Claims,
    ReceiptFacts,
    sign,
)
from tests.lookup.qr.zbar import decode_png

# A realistic production base URL, longer than most.
BASE = "https://dipcheck.police.example.gov"
T0 = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    store = KeyStore(Path(tmp_path_factory.mktemp("ring")))
    store.create()
    return store.signer()


def _largest_tokens(key: SigningKey) -> list[str]:
    """The longest token of each kind the issuer can produce."""
    facts = ReceiptFacts(
        "web", "plate_pattern", "match", 255, "Q" * 12, "X" * MAX_SUMMARY_BYTES
    )  # receipts.py cuts the query further when a longer base URL needs the room
    return [
        sign(Claims("credential", "9" * 32, T0, T0 + 1), key),  # longest identifier
        sign(Claims("vehicle", "W" * 8, T0, T0 + 1), key),  # longest plate
        sign(Claims("receipt", "DC-ABCDE-FGHJK", T0, T0 + 1, facts), key),
    ]


def test_png_decodes_back_to_the_url(key: SigningKey) -> None:
    for token in _largest_tokens(key):
        url = f"{BASE}/v/{token}"
        assert decode_png(render.png(url)) == [url]


def test_every_code_fits_version_12_at_level_q(key: SigningKey) -> None:
    for token in _largest_tokens(key):
        code = render.build(f"{BASE}/v/{token}")
        assert code.error_correction == qrcode.constants.ERROR_CORRECT_Q
        assert code.version <= render.MAX_VERSION == 12


def test_typical_credential_code_is_small(key: SigningKey) -> None:
    token = sign(Claims("credential", "D1234567", T0, T0 + 1), key)
    assert render.build(f"{BASE}/v/{token}").version <= 11  # 154 characters in byte mode


def test_too_long_a_base_url_is_refused_not_printed_dense(key: SigningKey) -> None:
    token = sign(Claims("credential", "9" * 32, T0, T0 + 1), key)
    with pytest.raises(render.QrTooLarge, match="DIPCHECK_PUBLIC_URL"):
        render.build(f"https://{'x' * 120}.example.gov/v/{token}")


def test_svg_is_a_standalone_document_with_the_same_symbol(key: SigningKey) -> None:
    url = f"{BASE}/v/{sign(Claims('vehicle', 'DAB1234', T0, T0 + 1), key)}"
    root = ET.fromstring(render.svg(url))  # noqa: S314 (our own output, not untrusted input)
    assert root.tag.endswith("svg")
    size = render.build(url).modules_count + 2 * render.BORDER_MODULES
    assert root.get("viewBox") == f"0 0 {size} {size}"
    assert root.find("{http://www.w3.org/2000/svg}path") is not None


def test_zbar_reads_only_the_qr_symbol_not_a_phantom_barcode() -> None:
    # Found by rendering 4,000 credential URLs: with every symbology enabled, zbar also read an
    # Interleaved 2 of 5 barcode ("751772") out of this QR pattern, and a test expecting one
    # symbol failed at random (each run signs a new token, so a new pattern).
    url = (
        "https://dipcheck.police.example.gov/v/AUOjSpgJaxSQ8Wz1xHEIUzEyMzQ1NjcyoYVWQjhEYiDN3rQ55"
        "Em1G1VogRfumRVU2H_36i18sVodQk1prBG7eyOjzIXOXr6nd_W4qWqVFGdN3j7g5yNf"
    )
    assert decode_png(render.png(url)) == [url]
