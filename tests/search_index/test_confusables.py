from __future__ import annotations

import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search_index.confusables import (
    CONFUSION_CLASSES,
    MAX_SUBSTITUTIONS,
    confusable_key,
    confusable_score,
    parse_plate_pattern,
    rank_key,
    substitutions,
)
from search_index.records import Substitution

PLATE_CHARS = string.ascii_uppercase + string.digits


@pytest.mark.parametrize("group", CONFUSION_CLASSES)
def test_each_class_shares_one_key(group: str) -> None:
    keys = {confusable_key(f"X{ch}7") for ch in group}
    assert len(keys) == 1


def test_the_classes_of_domain_md() -> None:
    pairs = {"0O", "0D", "0Q", "1I", "2Z", "5S", "8B", "6G", "EF", "UV"}
    for a, b in pairs:
        assert confusable_key(a) == confusable_key(b), (a, b)
    # Characters outside the classes keep their own key.
    assert confusable_key("A") != confusable_key("4")
    assert confusable_key("KMNPRTWXY") == "KMNPRTWXY"


@pytest.mark.parametrize("group", CONFUSION_CLASSES)
def test_substitutions_report_position_typed_and_matched(group: str) -> None:
    typed, matched = group[0], group[-1]
    subs = substitutions(f"DA{typed}12", f"DA{matched}12")
    assert subs == (Substitution(position=2, typed=typed, matched=matched),)


def test_substitutions_cap_at_two() -> None:
    assert substitutions("D0123", "DO123") is not None
    assert substitutions("D0123", "DOI23") is not None
    assert substitutions("D0123", "DOIZ3") is None  # three substitutions
    assert MAX_SUBSTITUTIONS == 2


def test_substitutions_refuse_non_confusable_or_other_length() -> None:
    assert substitutions("D0123", "D0124") is None  # 3/4 are not confusable
    assert substitutions("D0123", "D01234") is None
    assert substitutions("D0123", "D0123") == ()


def test_likelier_confusions_rank_first() -> None:
    one_likely = confusable_score(substitutions("D0123", "DO123") or ())
    one_rare = confusable_score(substitutions("DE123", "DF123") or ())
    two = confusable_score(substitutions("D0123", "DOI23") or ())
    assert 1.0 > one_likely > one_rare > two
    assert confusable_score(()) == 1.0


def test_rank_key_orders_by_score_then_plate() -> None:
    ranked = sorted([(0.9, "B2"), (1.0, "Z9"), (0.9, "A1")], key=lambda x: rank_key(*x))
    assert ranked == [(1.0, "Z9"), (0.9, "A1"), (0.9, "B2")]


@given(st.text(alphabet=PLATE_CHARS, min_size=2, max_size=8), st.data())
def test_substitutions_agree_with_confusable_key(plate: str, data: st.DataObject) -> None:
    """Any plate within the cap shares the key; the substitutions rebuild the candidate."""
    chars = list(plate)
    positions = [i for i, ch in enumerate(chars) if any(ch in g for g in CONFUSION_CLASSES)]
    chosen: list[int] = []
    if positions:
        chosen = data.draw(st.lists(st.sampled_from(positions), unique=True, max_size=2))
    for i in chosen:
        group = next(g for g in CONFUSION_CLASSES if chars[i] in g)
        chars[i] = data.draw(st.sampled_from([c for c in group if c != chars[i]]))
    candidate = "".join(chars)
    subs = substitutions(plate, candidate)
    assert subs is not None
    assert confusable_key(plate) == confusable_key(candidate)
    assert len(subs) == len(chosen)
    rebuilt = list(plate)
    for sub in subs:
        assert rebuilt[sub.position] == sub.typed
        rebuilt[sub.position] = sub.matched
    assert "".join(rebuilt) == candidate


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("DVL?234", "DVL?234"),
        ("dvl 1*", "DVL1*"),
        ("*12**34", "*12*34"),
        ("ＤＶＬ－１*", "DVL1*"),
    ],
)
def test_pattern_parsing(raw: str, text: str) -> None:
    pattern = parse_plate_pattern(raw)
    assert pattern.text == text


def test_pattern_matching_and_score() -> None:
    pattern = parse_plate_pattern("D?L12*")
    assert pattern.matches("DVL1234")
    assert pattern.matches("DXL12")
    assert not pattern.matches("DVL2234")
    assert not pattern.matches("XDVL1234")  # anchored at both ends
    assert pattern.score("DXL12") > pattern.score("DVL1234")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty"),
        ("DVL*", "at least 4"),
        ("??????", "at least 4"),
        ("D%L12", "only letters"),
        ("DVL[12]", "only letters"),
        ("DVL12345?", "longer than a plate"),
    ],
)
def test_pattern_rejections(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_plate_pattern(raw)
