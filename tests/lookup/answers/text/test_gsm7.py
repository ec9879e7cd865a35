"""The GSM-7 checker and the transliteration that keeps replies in it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookup.answers.text.gsm7 import (
    BASIC,
    EXTENSION,
    SEGMENT_SEPTETS,
    NotGsm7,
    clip,
    fits_one_segment,
    septets,
    to_gsm7,
)


def test_tables_have_the_standard_sizes() -> None:
    # 128 code points minus the escape; 9 printable extension characters plus form feed.
    assert len(BASIC) == 127
    assert len(EXTENSION) == 10
    assert not BASIC & EXTENSION


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("PLATE DAB1234", 13),
        ("é à Ñ Ø £ ¥ § ¿ ¡ Δ", 19),  # accented and Greek letters of the basic table: one each
        ("[x]", 5),  # brackets are extension characters: two each
        ("€5", 3),
        ("a|b^c{d}e\\f~", 18),
    ],
)
def test_septets_counts_extension_characters_twice(text: str, expected: int) -> None:
    assert septets(text) == expected


@pytest.mark.parametrize("char", ["—", "’", "“", "ç", "È", "ł", "Ж", "😀", "\t", "`"])
def test_a_character_outside_both_tables_is_not_gsm7(char: str) -> None:
    with pytest.raises(NotGsm7) as raised:
        septets(f"ab{char}")
    assert raised.value.position == 2
    assert not fits_one_segment(char)


def test_one_segment_is_160_septets() -> None:
    assert fits_one_segment("A" * SEGMENT_SEPTETS)
    assert not fits_one_segment("A" * (SEGMENT_SEPTETS + 1))
    assert not fits_one_segment("A" * (SEGMENT_SEPTETS - 1) + "€")  # 159 + 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Müller", "Müller"),  # ü is in the basic table and stays
        ("ÈÇÃ", "EÇA"),  # È and Ã are not: their accents go
        ("Łukasz Đoković", "Lukasz Dokovic"),
        ("Şahin Ōtsuka", "Sahin Otsuka"),
        ("Œuvre “quoted” — dash…", 'OEuvre "quoted" - dash...'),
        ("ＡＢＣ１２３", "ABC123"),  # full-width
        ("Жуков", ""),  # no Latin spelling: dropped rather than sent as UCS-2
        ("a[b]c€", "abc"),  # extension characters cost two septets and are not needed
        ("line\nbreak\r", "line break "),
    ],
)
def test_to_gsm7_transliterates_or_drops(raw: str, expected: str) -> None:
    assert to_gsm7(raw) == expected


@given(st.text(max_size=300))
def test_to_gsm7_always_yields_basic_table_text(raw: str) -> None:
    folded = to_gsm7(raw)
    assert all(char in BASIC for char in folded)
    assert septets(folded) == len(folded)


@given(st.text(alphabet=sorted(BASIC | EXTENSION), max_size=200), st.integers(0, 200))
def test_clip_is_the_longest_prefix_within_the_limit(text: str, limit: int) -> None:
    clipped = clip(text, limit)
    assert text.startswith(clipped)
    assert septets(clipped) <= limit
    if clipped != text:
        assert septets(text[: len(clipped) + 1]) > limit
