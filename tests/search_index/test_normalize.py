from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search_index.normalize import (
    name_tokens,
    normalize_identifier,
    normalize_name,
    normalize_plate,
)

PLATE_CHARS = string.ascii_uppercase + string.digits
plates = st.text(alphabet=PLATE_CHARS, min_size=2, max_size=8)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("dvl1234", "DVL1234"),  # case
        ("DVL 1234", "DVL1234"),  # space
        (" D\tVL\u00a01234 ", "DVL1234"),  # any Unicode space
        ("DVL-1234", "DVL1234"),  # hyphen
        ("DVL\u20131234", "DVL1234"),  # en dash
        ("DVL\u22121234", "DVL1234"),  # minus sign
        ("D.VL.1234", "DVL1234"),  # dots
        ("DVL\u00b71234", "DVL1234"),  # middle dot
        ("ＤＶＬ１２３４", "DVL1234"),  # full-width letters and digits
        ("ＤＶＬ－１２３４．", "DVL1234"),  # full-width hyphen and dot
        ("DVL\u2460234", "DVL1234"),  # circled digit one
        ("\u0410VL1234", "AVL1234"),  # Cyrillic capital A
        ("\u0412\u0415\u041a 77", "BEK77"),  # Cyrillic VE, IE, KA look like B, E, K
        ("\u039f\u039a1", "OK1"),  # Greek omicron and kappa
        ("dvé12", "DVE12"),  # accents dropped
    ],
)
def test_normalize_plate_folds_every_variant(raw: str, expected: str) -> None:
    assert normalize_plate(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "-.-", "D", "DVL123456", "DVL/1234", "DV_L1", "DVL#1", "DVL\u4e001"],
)
def test_normalize_plate_rejects_invalid(raw: str) -> None:
    with pytest.raises(ValueError, match="plate"):
        normalize_plate(raw)


@given(st.text(max_size=20))
def test_normalize_plate_is_idempotent_and_yields_only_plate_characters(raw: str) -> None:
    try:
        plate = normalize_plate(raw)
    except ValueError:
        return
    assert normalize_plate(plate) == plate
    assert set(plate) <= set(PLATE_CHARS)
    assert 2 <= len(plate) <= 8


@given(plates, st.lists(st.sampled_from([" ", "-", ".", "\u2013", "\u3000"]), max_size=3))
def test_plate_round_trips_through_formatting(plate: str, separators: list[str]) -> None:
    """Lower-casing, full-width forms and separators anywhere all come back to the same plate."""
    formatted = plate.lower()
    for index, separator in enumerate(separators):
        cut = (index * 3) % (len(formatted) + 1)
        formatted = formatted[:cut] + separator + formatted[cut:]
    full_width = "".join(chr(ord(ch) + 0xFEE0) if ch.isalnum() else ch for ch in formatted)
    assert normalize_plate(formatted) == plate
    assert normalize_plate(full_width) == plate


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("da-123 456", "DA123456"),
        ("OFM.100.200", "OFM100200"),
        ("１２３", "123"),
        ("7", "7"),
    ],
)
def test_normalize_identifier(raw: str, expected: str) -> None:
    assert normalize_identifier(raw) == expected


@pytest.mark.parametrize("raw", ["", " - ", "AB/12", "A" * 33])
def test_normalize_identifier_rejects_invalid(raw: str) -> None:
    with pytest.raises(ValueError, match="number"):
        normalize_identifier(raw)


@given(st.text(max_size=40))
def test_normalize_identifier_is_idempotent(raw: str) -> None:
    try:
        number = normalize_identifier(raw)
    except ValueError:
        return
    assert normalize_identifier(number) == number
    assert set(number) <= set(PLATE_CHARS)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("José MARÍA", "jose maria"),
        ("  Brézina,   Jörg ", "brezina jorg"),
        ("O'Neil-Smith", "o neil smith"),
        ("Ørsted Łukasz", "orsted lukasz"),
        ("STRAẞE", "strasse"),
        ("ＭＡＲＩＡ", "maria"),
    ],
)
def test_normalize_name(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


def test_normalize_name_rejects_empty() -> None:
    with pytest.raises(ValueError, match="name"):
        normalize_name(" -'. ")


@given(st.text(max_size=30))
def test_normalize_name_is_idempotent(raw: str) -> None:
    try:
        name = normalize_name(raw)
    except ValueError:
        return
    assert normalize_name(name) == name
    assert name == name.strip()
    assert "  " not in name
    assert name_tokens(raw) == name.split(" ")
