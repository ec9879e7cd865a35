"""The shipped matrix file against DOMAIN.md, row by row.

EXPECTED is typed from DOMAIN.md's table, not from the YAML, so a wrong edit of the file fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lookup.rules.immunity import (
    ACTION_CODES,
    DEFAULT_MATRIX_PATH,
    MatrixError,
    load_matrix,
    parse_matrix,
)
from search_index.records import PERSON_CATEGORIES

# code: (arrest_or_detain, enter_residence, subpoena_witness, prosecute, family, level)
EXPECTED = {
    "diplomatic_agent": ("no", "no", "no", "no", "same_as_principal", "full"),
    "administrative_technical_staff": ("no", "no", "no", "no", "same_as_principal", "full"),
    "service_staff": ("yes", "yes", "yes", "official_acts_immune", "none", "official_acts"),
    "career_consular_officer": (
        "felony_warrant_only",
        "yes",
        "not_for_official_acts",
        "official_acts_immune",
        "none",
        "official_acts",
    ),
    "honorary_consular_officer": (
        "yes",
        "yes",
        "not_for_official_acts",
        "official_acts_immune",
        "none",
        "official_acts",
    ),
    "consular_employee": (
        "yes",
        "yes",
        "not_for_official_acts",
        "official_acts_immune",
        "none",
        "official_acts",
    ),
    "international_organization_staff": (
        "yes",
        "yes",
        "not_for_official_acts",
        "official_acts_immune",
        "none",
        "official_acts",
    ),
    "io_mission_diplomatic_staff": ("no", "no", "no", "no", "same_as_principal", "full"),
    "io_mission_support_staff": (
        "yes",
        "yes",
        "not_for_official_acts",
        "official_acts_immune",
        "none",
        "official_acts",
    ),
    "tecro_designated_employee": ("no", "no", "no", "no", "consult_state", "full"),
    "teco_head_or_deputy": (
        "felony_warrant_only",
        "yes",
        "not_for_official_acts",
        "official_acts_immune",
        "none",
        "official_acts",
    ),
    "teco_designated_employee": (
        "yes",
        "yes",
        "not_for_official_acts",
        "official_acts_immune",
        "none",
        "official_acts",
    ),
}

# DOMAIN.md: "When a rule or an override sets the level, the actions follow the level".
EXPECTED_LEVEL_ACTIONS = {
    "full": ("no", "no", "yes", "no", "no"),
    "official_acts": ("yes", "yes", "yes", "not_for_official_acts", "official_acts_immune"),
    "none": ("yes", "yes", "yes", "yes", "yes"),
}


@pytest.fixture(scope="module")
def raw() -> dict[str, object]:
    return yaml.safe_load(DEFAULT_MATRIX_PATH.read_text(encoding="utf-8"))


def test_rows_are_exactly_the_domain_categories_in_order() -> None:
    matrix = load_matrix()
    assert list(matrix.categories) == list(EXPECTED)
    # The import accepts the same codes (search_index cannot read this package).
    assert set(matrix.categories) == set(PERSON_CATEGORIES)


@pytest.mark.parametrize("code", list(EXPECTED))
def test_row_matches_domain(code: str) -> None:
    rule = load_matrix().categories[code]
    arrest, residence, witness, prosecute, family, level = EXPECTED[code]
    assert rule.actions == {
        "arrest_or_detain": arrest,
        "enter_residence": residence,
        "issue_citation": "yes",
        "subpoena_witness": witness,
        "prosecute": prosecute,
    }
    assert (rule.family, rule.level) == (family, level)
    assert rule.label
    assert rule.group


def test_citation_is_always_allowed() -> None:
    matrix = load_matrix()
    assert {r.actions["issue_citation"] for r in matrix.categories.values()} == {"yes"}
    assert {lv.actions["issue_citation"] for lv in matrix.levels.values()} == {"yes"}


@pytest.mark.parametrize("level", list(EXPECTED_LEVEL_ACTIONS))
def test_level_actions_match_domain(level: str) -> None:
    actions = load_matrix().levels[level].actions
    assert tuple(actions[c] for c in ACTION_CODES) == EXPECTED_LEVEL_ACTIONS[level]


def test_unverified_is_protective_until_confirmed() -> None:
    matrix = load_matrix()
    assert matrix.levels["unverified"].actions == matrix.levels["full"].actions
    assert "{verify_phone}" in (matrix.levels["unverified"].instruction or "")


def test_required_notes() -> None:
    matrix = load_matrix()
    consular = " ".join(matrix.categories["career_consular_officer"].notes).lower()
    assert "never be compelled" in consular
    teco = " ".join(matrix.categories["teco_designated_employee"].notes).lower()
    assert "verify with the state department" in teco


def test_footnotes_cover_domain_rules() -> None:
    notes = {f.code: f for f in load_matrix().footnotes}
    assert {"emergency_restraint", "impaired_driver", "report_incident"} <= {
        code for code, f in notes.items() if f.always
    }
    assert "self-defence" in notes["emergency_restraint"].text
    assert "not compelled" in notes["impaired_driver"].text
    assert notes["consular_residence"].categories == {"career_consular_officer"}
    assert "office space" in notes["consular_residence"].text
    assert "full" in notes["vehicle_full_immunity"].levels
    assert (
        "towed" in notes["vehicle_full_immunity"].text
        or "tow" in notes["vehicle_full_immunity"].text
    )
    assert "higher level" in notes["bilateral_agreements"].text


def test_us_national_table() -> None:
    matrix = load_matrix()
    assert matrix.us_national["family_member"] == "none"
    assert matrix.us_national["consular_employee"] == "none"
    assert matrix.us_national["service_staff"] == "none"
    assert matrix.us_national["diplomatic_agent"] == "official_acts"


def test_every_action_value_has_plain_words() -> None:
    matrix = load_matrix()
    for code in ACTION_CODES:
        spec = matrix.actions[code]
        assert spec.label
        for value in spec.values.values():
            assert value.text.endswith(".")
            assert value.short
            assert not value.short.endswith(".")


def test_load_is_cached_per_path_and_path_is_injectable(tmp_path: Path, raw: dict) -> None:
    assert load_matrix() is load_matrix(DEFAULT_MATRIX_PATH)
    changed = dict(raw)
    changed["family"] = {**raw["family"], "none": "Changed wording."}
    path = tmp_path / "matrix.yaml"
    path.write_text(yaml.safe_dump(changed), encoding="utf-8")
    copy = load_matrix(path)
    assert copy.family["none"] == "Changed wording."
    assert load_matrix().family["none"] != "Changed wording."


def _edited(raw: dict, **changes: object) -> dict:
    doc = yaml.safe_load(yaml.safe_dump(raw))
    row = doc["categories"][0]
    row.update(changes)
    return doc


def test_bare_yaml_yes_is_refused_with_the_fix_named(raw: dict) -> None:
    with pytest.raises(MatrixError, match=r"categories\[0\].*arrest_or_detain.*quotes"):
        parse_matrix(_edited(raw, arrest_or_detain=False))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"prosecute": "maybe"}, "prosecute: 'maybe' is not one of"),
        ({"family": "cousins"}, "family: 'cousins' is not one of"),
        ({"level": "unverified"}, "level: 'unverified' is not one of"),
        ({"label": ""}, "label: expected non-empty text"),
        ({"code": "administrative_technical_staff"}, "duplicate"),
    ],
)
def test_malformed_rows_are_refused(raw: dict, changes: dict, message: str) -> None:
    with pytest.raises(MatrixError, match=message):
        parse_matrix(_edited(raw, **changes))


def test_unknown_footnote_category_is_refused(raw: dict) -> None:
    doc = yaml.safe_load(yaml.safe_dump(raw))
    doc["footnotes"]["consular_residence"]["categories"] = ["consul"]
    with pytest.raises(MatrixError, match="unknown category 'consul'"):
        parse_matrix(doc)


def test_missing_vehicle_rule_is_refused(raw: dict) -> None:
    doc = yaml.safe_load(yaml.safe_dump(raw))
    del doc["footnotes"]["vehicle_full_immunity"]
    with pytest.raises(MatrixError, match="vehicle_full_immunity"):
        parse_matrix(doc)
