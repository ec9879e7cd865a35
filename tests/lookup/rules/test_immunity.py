"""The immunity answer: category rows, family, U.S. nationals, overrides, unverified."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookup.rules.immunity import Immunity, derive_immunity, load_matrix
from lookup.rules.people import accreditation_on
from search_index.records import Person
from tests.factories import make_person

TODAY = date(2026, 3, 15)
PHONE = "(571) 345-3146"
FULL = {
    "arrest_or_detain": "no",
    "enter_residence": "no",
    "issue_citation": "yes",
    "subpoena_witness": "no",
    "prosecute": "no",
}
OFFICIAL_ACTS = {
    "arrest_or_detain": "yes",
    "enter_residence": "yes",
    "issue_citation": "yes",
    "subpoena_witness": "not_for_official_acts",
    "prosecute": "official_acts_immune",
}
NONE = dict.fromkeys(FULL, "yes")


def answer(person: Person, principal: Person | None = None) -> Immunity:
    return derive_immunity(person, principal, matrix=load_matrix(), today=TODAY, verify_phone=PHONE)


def family_of(principal: Person, **fields: object) -> Person:
    return make_person(
        person_id="F1",
        category="family_member",
        principal_id=principal.person_id,
        given_names="Sam",
        **fields,
    )


def test_diplomatic_agent_category_default() -> None:
    result = answer(make_person())
    assert result.level == "full"
    assert result.actions == FULL
    assert result.basis_code == "category_default"
    assert result.basis == "Category default: Diplomatic agent"
    assert result.family == "same_as_principal"
    assert result.summary.startswith("FULL IMMUNITY: do not arrest or detain")
    assert "you may issue a citation" in result.summary
    codes = {f.code for f in result.footnotes}
    assert {"emergency_restraint", "impaired_driver", "report_incident"} <= codes
    assert "vehicle_full_immunity" in codes


def test_career_consular_officer_keeps_row_actions_and_notes() -> None:
    result = answer(make_person(category="career_consular_officer"))
    assert result.level == "official_acts"
    assert result.actions["arrest_or_detain"] == "felony_warrant_only"
    assert "felony" in result.summary
    assert any("never be compelled" in n for n in result.notes)
    codes = {f.code for f in result.footnotes}
    assert {"consular_residence", "bilateral_agreements"} <= codes
    assert "vehicle_full_immunity" not in codes


def test_service_staff_row_is_not_the_level_mapping() -> None:
    # The row says subpoena "yes", while the official_acts level mapping says not_for_official_acts.
    result = answer(make_person(category="service_staff"))
    assert result.actions["subpoena_witness"] == "yes"
    assert result.actions["prosecute"] == "official_acts_immune"


def test_teco_designated_employee_says_verify_with_state() -> None:
    result = answer(make_person(category="teco_designated_employee"))
    assert any("verify with the State Department" in n for n in result.notes)


@pytest.mark.parametrize(
    "category",
    ["diplomatic_agent", "administrative_technical_staff", "io_mission_diplomatic_staff"],
)
def test_family_same_as_principal_copies_the_row(category: str) -> None:
    principal = make_person(category=category)
    result = answer(family_of(principal), principal)
    assert result.level == "full"
    assert result.actions == FULL
    assert result.basis_code == "family"
    assert result.basis.startswith("Family member of Ostrander, Mirela")
    assert result.basis.endswith("same as principal")


@pytest.mark.parametrize(
    "category",
    [
        "service_staff",
        "career_consular_officer",
        "honorary_consular_officer",
        "consular_employee",
        "international_organization_staff",
        "io_mission_support_staff",
        "teco_head_or_deputy",
        "teco_designated_employee",
    ],
)
def test_family_none_has_no_immunity(category: str) -> None:
    principal = make_person(category=category)
    result = answer(family_of(principal), principal)
    assert result.level == "none"
    assert result.actions == NONE
    assert result.basis_code == "family"
    assert result.summary.startswith("NO IMMUNITY")


def test_family_consult_state_is_unverified_with_note() -> None:
    principal = make_person(category="tecro_designated_employee")
    result = answer(family_of(principal), principal)
    assert result.level == "unverified"
    assert result.actions == FULL
    assert result.family == "consult_state"
    assert any("Consult the State Department" in n for n in result.notes)
    assert any(PHONE in n for n in result.notes)


def test_family_of_missing_principal_is_unverified() -> None:
    result = answer(
        make_person(person_id="F1", category="family_member", principal_id="GONE"), None
    )
    assert result.level == "unverified"
    assert result.basis_code == "principal_not_verified"
    assert "not on record" in result.basis


@pytest.mark.parametrize("status", ["pending", "terminated"])
def test_family_of_inactive_principal_is_unverified(status: str) -> None:
    principal = make_person(accreditation_status=status)
    result = answer(family_of(principal), principal)
    assert result.level == "unverified"
    assert result.basis_code == "principal_not_verified"


def test_family_of_principal_whose_accreditation_ended_is_unverified() -> None:
    principal = make_person(accreditation_end=TODAY - timedelta(days=1))
    assert answer(family_of(principal), principal).level == "unverified"


def test_family_whose_principal_is_a_family_member_is_unverified() -> None:
    principal = make_person(category="family_member", principal_id="X")
    result = answer(family_of(principal), principal)
    assert result.level == "unverified"
    assert "not a mission member" in result.basis


def test_family_of_us_national_diplomat_has_at_most_the_principals_level() -> None:
    principal = make_person(us_national_or_resident=True)
    assert answer(principal).level == "official_acts"
    result = answer(family_of(principal), principal)
    assert result.level == "official_acts"
    assert result.actions == OFFICIAL_ACTS
    assert result.basis_code == "family"
    assert any("differs from the category default" in n for n in result.notes)


@pytest.mark.parametrize("lowered", ["official_acts", "none"])
def test_family_of_principal_lowered_by_override_never_exceeds_the_principal(
    lowered: str,
) -> None:
    principal = make_person(immunity_override=lowered, override_reason="Waiver on record")
    result = answer(family_of(principal), principal)
    assert result.level == lowered
    assert result.actions == {"official_acts": OFFICIAL_ACTS, "none": NONE}[lowered]


def test_family_of_principal_raised_or_kept_copies_the_row() -> None:
    principal = make_person(immunity_override="full", override_reason="Agreement")
    result = answer(family_of(principal), principal)
    assert (result.level, result.actions) == ("full", FULL)


def test_us_national_family_member_has_none_even_of_a_diplomat() -> None:
    principal = make_person()
    result = answer(family_of(principal, us_national_or_resident=True), principal)
    assert result.level == "none"
    assert result.actions == NONE
    assert result.basis_code == "us_national"


@pytest.mark.parametrize(
    ("category", "level", "actions"),
    [
        ("consular_employee", "none", NONE),
        ("service_staff", "none", NONE),
        ("diplomatic_agent", "official_acts", OFFICIAL_ACTS),
    ],
)
def test_us_national_rules(category: str, level: str, actions: dict[str, str]) -> None:
    result = answer(make_person(category=category, us_national_or_resident=True))
    assert result.level == level
    assert result.actions == actions
    assert result.basis_code == "us_national"


def test_us_national_honorary_consul_keeps_category_row() -> None:
    result = answer(make_person(category="honorary_consular_officer", us_national_or_resident=True))
    assert result.level == "official_acts"
    assert result.basis_code == "category_default"


@pytest.mark.parametrize(
    "category", ["administrative_technical_staff", "career_consular_officer", "teco_head_or_deputy"]
)
def test_us_national_in_other_categories_is_unverified(category: str) -> None:
    result = answer(make_person(category=category, us_national_or_resident=True))
    assert result.level == "unverified"
    assert result.actions == FULL
    assert result.basis_code == "us_national"
    assert any("case by case" in n for n in result.notes)


@pytest.mark.parametrize(
    ("override", "actions"), [("full", FULL), ("official_acts", OFFICIAL_ACTS), ("none", NONE)]
)
def test_override_sets_level_and_actions_follow(override: str, actions: dict[str, str]) -> None:
    person = make_person(
        category="career_consular_officer",
        immunity_override=override,
        override_reason="Bilateral consular agreement",
    )
    result = answer(person)
    assert result.level == override
    assert result.actions == actions
    assert result.basis_code == "ofm_override"
    assert "Bilateral consular agreement" in result.basis
    assert "recorded by OFM" in result.basis
    # The category's residence rule is about premises: it does not hold once the consul is
    # raised to full immunity (an inviolable residence).
    assert ("consular_residence" in {f.code for f in result.footnotes}) == (override != "full")


def test_override_beats_us_national_rule() -> None:
    person = make_person(
        category="consular_employee",
        us_national_or_resident=True,
        immunity_override="official_acts",
        override_reason="Agreement",
    )
    assert answer(person).level == "official_acts"


def test_override_on_family_member_beats_family_rule() -> None:
    principal = make_person(category="service_staff")
    member = family_of(principal, immunity_override="full", override_reason="Agreement")
    assert answer(member, principal).level == "full"


@pytest.mark.parametrize(
    "fields",
    [
        {"accreditation_status": "pending"},
        {"accreditation_status": "terminated"},
        {"accreditation_end": TODAY - timedelta(days=1)},
        {"accreditation_start": TODAY + timedelta(days=1)},
        # Not even an override makes an inactive person verified.
        {"accreditation_status": "pending", "immunity_override": "full", "override_reason": "x"},
    ],
)
def test_not_active_is_unverified(fields: dict[str, object]) -> None:
    result = answer(make_person(**fields))
    assert result.level == "unverified"
    assert result.basis_code == "accreditation_not_active"
    assert result.actions == FULL
    assert result.actions["issue_citation"] == "yes"
    assert any(PHONE in n for n in result.notes)
    assert result.summary.startswith(f"UNVERIFIED: call {PHONE} to verify; until then")


@pytest.mark.parametrize("fields", [{"accreditation_end": TODAY}, {"accreditation_start": TODAY}])
def test_accreditation_dates_are_inclusive(fields: dict[str, object]) -> None:
    assert answer(make_person(**fields)).level == "full"


def test_unknown_category_is_unverified_not_an_error() -> None:
    result = answer(make_person(category="astronaut"))
    assert result.level == "unverified"
    assert result.basis_code == "category_unknown"
    assert result.family is None


@pytest.mark.parametrize("category", list(load_matrix().categories))
def test_every_category_summary_is_one_short_sentence(category: str) -> None:
    summary = answer(make_person(category=category)).summary
    assert summary.count(".") == 1
    assert summary.endswith("you may issue a citation.")
    assert len(summary) <= 110


CATEGORIES = [*load_matrix().categories, "family_member", "unknown_category"]


@given(
    category=st.sampled_from(CATEGORIES),
    principal_category=st.sampled_from(CATEGORIES),
    status=st.sampled_from(["active", "pending", "terminated"]),
    principal_status=st.sampled_from(["active", "pending", "terminated"]),
    us_national=st.booleans(),
    override=st.sampled_from([None, "full", "official_acts", "none"]),
    principal_override=st.sampled_from([None, "full", "official_acts", "none"]),
    with_principal=st.booleans(),
)
def test_any_record_gets_a_well_formed_answer(
    category: str,
    principal_category: str,
    status: str,
    principal_status: str,
    us_national: bool,
    override: str | None,
    principal_override: str | None,
    with_principal: bool,
) -> None:
    principal = make_person(
        category=principal_category,
        accreditation_status=principal_status,
        immunity_override=principal_override,
        override_reason="reason" if principal_override else None,
    )
    person = make_person(
        person_id="X1",
        category=category,
        accreditation_status=status,
        principal_id="P-0001" if category == "family_member" else None,
        us_national_or_resident=us_national,
        immunity_override=override,
        override_reason="reason" if override else None,
    )
    matrix = load_matrix()
    result = answer(person, principal if with_principal else None)
    # A citation is never prohibited, whatever the record says.
    assert result.actions["issue_citation"] == "yes"
    assert result.level in matrix.levels
    assert result.summary.endswith("you may issue a citation.")
    if status != "active":
        assert result.level == "unverified"
    elif override is not None:
        assert (result.level, result.basis_code) == (override, "ofm_override")
    if category == "family_member" and with_principal and result.basis_code == "family":
        rank = {"none": 0, "official_acts": 1, "full": 2}
        principal_level = answer(principal).level
        if result.level in rank and principal_level in rank:
            assert rank[result.level] <= rank[principal_level]
    if result.level == "unverified":
        assert result.actions == FULL
        assert any(PHONE in n for n in result.notes)
    elif result.basis_code != "category_default" and result.basis_code != "family":
        assert result.actions == matrix.levels[result.level].actions


def test_footnotes_for_each_row_are_the_matrix_footnotes_that_apply() -> None:
    matrix = load_matrix()
    for level in matrix.levels:
        for category in (None, *matrix.categories):
            expected = tuple(f for f in matrix.footnotes if f.applies(level, category))
            assert matrix.footnotes_for(level, category) == expected, (level, category)


def test_answers_share_the_matrix_rows_read_only() -> None:
    first, second = answer(make_person()), answer(make_person(person_id="X2"))
    assert first.actions is second.actions
    with pytest.raises(TypeError):
        first.actions["arrest_or_detain"] = "yes"  # type: ignore[index]
    with pytest.raises(TypeError):
        first.actions_text["arrest_or_detain"] = "anything"  # type: ignore[index]
    assert answer(make_person()).actions == FULL


def test_actions_text_is_the_matrix_sentence_of_each_action() -> None:
    matrix = load_matrix()
    result = answer(make_person(category="career_consular_officer"))
    assert list(result.actions) == list(FULL)
    assert dict(result.actions_text) == {
        code: matrix.action_text(code, value) for code, value in result.actions.items()
    }


def test_a_given_accreditation_is_the_one_read() -> None:
    """A caller that has the accreditation already passes it rather than have it read again."""
    person = make_person()
    ended = accreditation_on(make_person(accreditation_end=TODAY - timedelta(days=1)), TODAY)
    result = derive_immunity(
        person,
        None,
        matrix=load_matrix(),
        today=TODAY,
        verify_phone=PHONE,
        accreditation=ended,
    )
    assert (result.level, result.basis_code) == ("unverified", "accreditation_not_active")
    assert derive_immunity(
        person,
        None,
        matrix=load_matrix(),
        today=TODAY,
        verify_phone=PHONE,
        accreditation=accreditation_on(person, TODAY),
    ) == answer(person)


@pytest.mark.parametrize("phone", ["(571) 345-3146", "202-555-0100 {x}"])
def test_unverified_summary_names_the_phone_given(phone: str) -> None:
    result = derive_immunity(
        make_person(accreditation_status="pending"),
        None,
        matrix=load_matrix(),
        today=TODAY,
        verify_phone=phone,
    )
    assert result.summary.startswith(f"UNVERIFIED: call {phone} to verify; until then")
