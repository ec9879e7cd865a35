"""How the one search box reads its input (lookup/web/kinds.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookup.web.kinds import CHOICES, detect_kind, parse_choice


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("DVL 1234", "plate"),
        ("dvl-1234", "plate"),
        ("1234VLD", "plate"),
        ("DVL?234", "plate_pattern"),
        ("DV*", "plate_pattern"),
        ("DA123456", "credential"),
        ("D 1234567", "credential"),
        ("OFM100200", "license"),
        ("ofm-12345678", "license"),
        ("ABCDEFGH1", "credential"),
        ("Ostrander", "person"),
        ("Brézina, Jörg", "person"),
        ("O'Neil-Smith", "person"),
    ],
)
def test_detection(text: str, kind: str) -> None:
    assert detect_kind(text).kind == kind


def test_a_manual_choice_wins() -> None:
    assert detect_kind("OFM100200", "credential").kind == "credential"
    assert detect_kind("Ostrander", "plate").kind == "plate"
    assert detect_kind("DV?1", "plate").kind == "plate_pattern"
    assert detect_kind("DVL1234", "person").kind == "person"


def test_unknown_choices_read_as_detect() -> None:
    assert parse_choice("plate") == "plate"
    assert parse_choice("admin") == "auto"
    assert parse_choice(None) == "auto"


@given(st.text(min_size=1, max_size=60), st.sampled_from([c for c, _ in CHOICES]))
def test_any_input_gets_a_kind_and_a_reason(text: str, choice: str) -> None:
    detected = detect_kind(text, parse_choice(choice))
    assert detected.kind in ("plate", "plate_pattern", "credential", "license", "person")
    assert detected.why
    if choice == "auto" and any(ch in "?*" for ch in text):
        assert detected.kind == "plate_pattern"
