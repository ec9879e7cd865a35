"""Every reply template, rendered with the longest values real records hold and every state,
fits one GSM-7 segment and still carries what the officer needs."""

from __future__ import annotations

from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookup.answers.text import phrases, replies
from lookup.answers.text.gsm7 import fits_one_segment, septets
from lookup.answers.text.replies import PersonFacts, PlateFacts, VehicleFacts, sms_phone
from lookup.audit.records import REFERENCE_ALPHABET
from lookup.rules.immunity import ACTION_VALUES, LEVELS
from lookup.rules.insurance import InsuranceStatus
from search_index.normalize import IDENTIFIER_MAX_LENGTH, PLATE_MAX_LENGTH
from search_index.records import CredentialStatus, LicenseStatus, RegistrationStatus

INSURANCE = get_args(InsuranceStatus)
REGISTRATION = get_args(RegistrationStatus)
LICENCE = get_args(LicenseStatus)
CREDENTIAL = (*get_args(CredentialStatus), "unknown")
# The configured default, the toll-free form and a long international spelling.
PHONES = ("(571) 345-3146", "866-217-2089", "+1 (571) 345-3146")

references = st.builds(
    lambda chars: f"DC-{chars[:5]}-{chars[5:]}",
    st.text(alphabet=REFERENCE_ALPHABET, min_size=10, max_size=10),
)
# Names as records may hold them: any script, long double-barrelled surnames, empty given names.
names = st.text(min_size=1, max_size=120)
given_names = st.none() | st.text(max_size=80)
plates = st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=2, max_size=8)
identifiers = st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=1, max_size=32)

# (level, arrest, residence) as the matrix can produce them, and every code besides, since an
# override can pair any level with its actions.
immunity_states = st.tuples(
    st.sampled_from(LEVELS),
    st.sampled_from(ACTION_VALUES["arrest_or_detain"]),
    st.sampled_from(ACTION_VALUES["enter_residence"]),
)


def persons(credential: bool = True, licence: bool = True) -> st.SearchStrategy[PersonFacts]:
    return st.builds(
        lambda name, given, state, card, lic, alert: PersonFacts(
            name, given, *state, card, lic, alert
        ),
        names,
        given_names,
        immunity_states,
        st.sampled_from(CREDENTIAL) if credential else st.none(),
        st.sampled_from(LICENCE) if licence else st.none(),
        st.sampled_from(["none", "review", "suspension"]),
    )


def _assert_essentials(text: str, reference: str | None, phone: str) -> None:
    assert fits_one_segment(text), (septets(text) if text.isascii() else text, text)
    # The closing is never degraded: the reference code and the whole 24/7 number survive.
    if reference is not None:
        assert reference in text
    assert f"24/7 {sms_phone(phone)}" in text


@settings(max_examples=300)
@given(
    person=persons(),
    kind=st.sampled_from(["credential", "license"]),
    value=identifiers,
    reference=references,
    phone=st.sampled_from(PHONES),
    stale=st.booleans(),
)
def test_person_reply_fits(
    person: PersonFacts, kind: str, value: str, reference: str, phone: str, stale: bool
) -> None:
    text = replies.person_reply(kind, value, person, reference, phone, stale=stale)
    _assert_essentials(text, reference, phone)
    # Old data says so in every reply that carries it, still in one segment.
    assert any(marker in text for marker in phrases.STALE) == stale
    assert phrases.LEVEL[person.level] in text
    assert phrases.ARREST[person.arrest] in text
    if person.residence == "no":
        assert phrases.RESIDENCE["no"] in text
    if kind == "license":
        licence = str(person.licence)
        assert (
            replies.licence_parts(licence, person.points, person.points_alert)[0].render(0) in text
        )
    else:
        assert phrases.CREDENTIAL[str(person.credential)] in text


@settings(max_examples=400)
@given(
    plate=plates,
    match=st.sampled_from(["exact", "confusable", "partial"]),
    registration=st.sampled_from(REGISTRATION),
    insurance=st.sampled_from(INSURANCE),
    registrant=persons(credential=False, licence=False) | st.none(),
    country=st.text(max_size=60),
    reference=references,
    phone=st.sampled_from(PHONES),
    stale=st.booleans(),
)
def test_plate_reply_fits(
    plate: str,
    match: str,
    registration: str,
    insurance: str,
    registrant: PersonFacts | None,
    country: str,
    reference: str,
    phone: str,
    stale: bool,
) -> None:
    facts = PlateFacts(VehicleFacts(plate, match, registration, insurance), registrant, country)
    text = replies.plate_reply(facts, reference, phone, stale=stale)
    _assert_essentials(text, reference, phone)
    assert any(marker in text for marker in phrases.STALE) == stale
    assert text.startswith(plate)
    assert phrases.REGISTRATION[registration] in text
    if insurance in phrases.UNINSURED:
        assert "NO DRIVING" in text
    else:
        assert phrases.INSURANCE[insurance] in text
    if registrant is not None:
        assert phrases.LEVEL[registrant.level] in text
        assert phrases.ARREST[registrant.arrest] in text
    else:
        assert "check driver ID" in text


# The actions each level answers with (DOMAIN.md); official-acts consular officers are the one
# row whose arrest is "felony warrant only", the longest arrest phrase.
REAL_ACTIONS = {
    "full": ("no", "no"),
    "official_acts": ("felony_warrant_only", "yes"),
    "none": ("yes", "yes"),
    "unverified": ("no", "no"),
}
LONG_SURNAME = "Ñúñez-Wolfeschlegelsteinhausenbergerdorff" * 3


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("insurance", INSURANCE)
@pytest.mark.parametrize("registration", REGISTRATION)
@pytest.mark.parametrize("actions", ["real", "worst"])
def test_every_state_at_the_longest_values(
    level: str, insurance: str, registration: str, actions: str
) -> None:
    """The deterministic worst case for each combination: the longest plate, a partial match
    (longest heading), a 120-letter accented surname, the longest phone spelling; with the
    actions the level really has, and with the longest pair any override could produce."""
    arrest, residence = REAL_ACTIONS[level] if actions == "real" else ("felony_warrant_only", "no")
    person = PersonFacts(
        LONG_SURNAME, "Émile", level, arrest, residence, "lost_or_stolen", "suspended"
    )
    vehicle = VehicleFacts("D" * PLATE_MAX_LENGTH, "partial", registration, insurance)
    phone = PHONES[-1]
    reference = "DC-WWWWW-WWWWW"
    plate_text = replies.plate_reply(PlateFacts(vehicle, person), reference, phone)
    _assert_essentials(plate_text, reference, phone)
    # The surname is clipped, never dropped; with real actions a recognisable part of it stays.
    assert ("Owner ÑUÑEZ-W" if actions == "real" else "Owner Ñ") in plate_text
    assert " É." in plate_text
    for kind in ("credential", "license"):
        text = replies.person_reply(kind, "9" * IDENTIFIER_MAX_LENGTH, person, reference, phone)
        _assert_essentials(text, reference, phone)
        assert "ÑUÑEZ-WOLFE" in text
    # Old data adds its marker and everything essential still fits one segment.
    stale_text = replies.plate_reply(PlateFacts(vehicle, person), reference, phone, stale=True)
    _assert_essentials(stale_text, reference, phone)
    assert any(marker in stale_text for marker in phrases.STALE)
    assert phrases.LEVEL[level] in stale_text


@given(
    candidates=st.lists(plates, min_size=2, max_size=10),
    reference=references,
    phone=st.sampled_from(PHONES),
)
def test_candidates_reply_lists_at_most_three(
    candidates: list[str], reference: str, phone: str
) -> None:
    text = replies.candidates_reply(candidates, reference, phone)
    _assert_essentials(text, reference, phone)
    for plate in candidates[:3]:
        assert plate in text
    assert f"{min(len(candidates), 3)} possible plates" in text


@given(
    kind=st.sampled_from(["plate", "credential", "license"]),
    value=identifiers,
    status=st.sampled_from(LICENCE),
    reference=references,
    phone=st.sampled_from(PHONES),
    stale=st.booleans(),
)
def test_no_match_and_licence_only_replies_fit(
    kind: str, value: str, status: str, reference: str, phone: str, stale: bool
) -> None:
    text = replies.no_match_reply(kind, value, reference, phone, stale=stale)
    _assert_essentials(text, reference, phone)
    assert "Not proof of no immunity" in text
    assert any(marker in text for marker in phrases.STALE) == stale
    text = replies.licence_only_reply(value, status, reference, phone, stale=stale)
    _assert_essentials(text, reference, phone)
    assert any(marker in text for marker in phrases.STALE) == stale
    assert phrases.LICENCE[status] in text


@pytest.mark.parametrize("phone", PHONES)
def test_fixed_replies_fit(phone: str) -> None:
    for text in (
        replies.help_reply(phone),
        replies.unrecognized_reply(phone),
        replies.invalid_value_reply("credential", phone),
        replies.unavailable_reply(None, phone),
    ):
        _assert_essentials(text, None, phone)
    for text in (
        replies.unavailable_reply("DC-AAAAA-BBBBB", phone),
        replies.rate_limited_reply("DC-AAAAA-BBBBB", phone),
    ):
        _assert_essentials(text, "DC-AAAAA-BBBBB", phone)
    for text in (replies.not_enrolled_reply(), replies.restarted_reply()):
        assert fits_one_segment(text)


def test_help_names_every_command() -> None:
    text = replies.help_reply(PHONES[0])
    for word in ("P <plate>", "ID <", "DL <", "STOP", "crash"):
        assert word in text


def test_name_is_surname_and_initial_only() -> None:
    person = PersonFacts("García Márquez", "Gabriel José", "full", "no", "no", "valid")
    text = replies.person_reply("credential", "123", person, "DC-AAAAA-BBBBB", PHONES[0])
    assert "GARCIA MARQUEZ G." in text
    assert "Gabriel" not in text
    assert "JOSE" not in text.upper().replace("GARCIA", "")


def test_non_latin_name_never_switches_to_ucs2() -> None:
    person = PersonFacts("Иванов", "Пётр", "official_acts", "yes", "yes", "valid")
    text = replies.person_reply("credential", "123", person, "DC-AAAAA-BBBBB", PHONES[0])
    assert fits_one_segment(text)
    assert f"{phrases.UNKNOWN_VALUE}." in text  # no Latin spelling: shown as "?"


def test_sms_phone_shortens_the_configured_number() -> None:
    assert sms_phone("(571) 345-3146") == "571-345-3146"
    assert sms_phone("+1 (571) 345-3146") == "571-345-3146"
    assert sms_phone("+44 20 7946 0000") == "+44-20-7946-0000"
    assert sms_phone("866-217-2089") == "866-217-2089"
