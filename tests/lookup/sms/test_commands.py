"""The SMS command parser: every command form, tolerant of case, spacing and punctuation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookup.sms.commands import (
    CONTROL_WORDS,
    DEFAULT_REASON,
    MAX_MESSAGE_CHARS,
    Control,
    Lookup,
    Unrecognized,
    parse,
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("P DAB1234", Lookup("plate", "DAB1234", DEFAULT_REASON)),
        ("p dab1234", Lookup("plate", "DAB1234", DEFAULT_REASON)),
        ("  P   DAB 1234  ", Lookup("plate", "DAB1234", DEFAULT_REASON)),
        ("P: DAB-1234.", Lookup("plate", "DAB1234", DEFAULT_REASON)),
        ("plate dab1234", Lookup("plate", "DAB1234", DEFAULT_REASON)),
        ("DAB1234", Lookup("plate", "DAB1234", DEFAULT_REASON)),
        ("dab 1234", Lookup("plate", "DAB1234", DEFAULT_REASON)),
        ("'DAB1234'", Lookup("plate", "DAB1234", DEFAULT_REASON)),
        ("ＰＡＢ１２３", Lookup("plate", "PAB123", DEFAULT_REASON)),  # full-width, no separator
        ("Р АВС123", Lookup("plate", "ABC123", DEFAULT_REASON)),  # Cyrillic look-alikes
        ("ID 12345678", Lookup("credential", "12345678", DEFAULT_REASON)),
        ("id#12345678", Lookup("credential", "12345678", DEFAULT_REASON)),
        ("Id: 1234-5678", Lookup("credential", "12345678", DEFAULT_REASON)),
        ("DL 98765", Lookup("license", "98765", DEFAULT_REASON)),
        ("dl:  X98765 ", Lookup("license", "X98765", DEFAULT_REASON)),
        ("lic 98765", Lookup("license", "98765", DEFAULT_REASON)),
    ],
)
def test_lookup_forms(body: str, expected: Lookup) -> None:
    assert parse(body) == expected


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("P DAB1234 crash", "crash"),
        ("DAB1234 CRASH", "crash"),
        ("P DAB 1234 warrant", "warrant_service"),
        ("ID 12345 investigation", "investigation"),
        ("DL 555 citation", "citation_follow_up"),
        ("P DAB1234 training", "training"),
        ("P DAB1234 other.", "other"),
        ("P DAB1234 traffic_stop", "traffic_stop"),
        ("P DAB1234 Accident", "crash"),
    ],
)
def test_trailing_reason_word(body: str, reason: str) -> None:
    command = parse(body)
    assert isinstance(command, Lookup)
    assert command.reason == reason
    assert command.value not in ("CRASH", "WARRANT")


def test_a_reason_word_alone_after_the_prefix_is_the_value() -> None:
    # "P CRASH" has nothing else to look up, so CRASH is the plate.
    assert parse("P CRASH") == Lookup("plate", "CRASH", DEFAULT_REASON)


@pytest.mark.parametrize("word", sorted(CONTROL_WORDS))
def test_control_words_in_any_case_and_punctuation(word: str) -> None:
    for body in (word, word.lower(), f" {word.title()}. ", f"{word}!"):
        assert parse(body) == Control(CONTROL_WORDS[word], word)


@pytest.mark.parametrize(
    ("body", "word"),
    [("STOP", "stop"), ("unsubscribe", "stop"), ("Start", "start"), ("unstop", "start")],
)
def test_control_word_groups(body: str, word: str) -> None:
    command = parse(body)
    assert isinstance(command, Control)
    assert command.word == word


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("", "empty"),
        ("   ...  ", "empty"),
        ("P", "no_value"),
        ("ID:", "no_value"),
        ("hello", "not_a_plate"),  # a bare word without a digit is not a plate
        ("stop please", "not_a_plate"),  # carriers only treat single words as STOP
        ("ok thanks", "not_a_plate"),
        ("A" * (MAX_MESSAGE_CHARS + 1), "too_long"),
    ],
)
def test_unrecognized(body: str, why: str) -> None:
    assert parse(body) == Unrecognized(why)  # type: ignore[arg-type]


def test_prefix_needs_a_separator() -> None:
    # DL1234 could be a plate starting with DL, so without a separator it is one.
    assert parse("DL1234") == Lookup("plate", "DL1234", DEFAULT_REASON)


@given(st.text(max_size=250))
def test_any_text_parses_to_one_command(body: str) -> None:
    command = parse(body)
    assert isinstance(command, Control | Lookup | Unrecognized)
    if isinstance(command, Lookup):
        assert command.value
        assert " " not in command.value
