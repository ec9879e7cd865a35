"""The training content is complete, consistent with the rules file, and its check names file and
line for every kind of mistake."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from lookup.rules.immunity import ACTION_CODES, ImmunityMatrix, derive_immunity, parse_matrix
from outreach.content import load_content
from outreach.problems import ContentInvalid
from outreach.yaml_lines import load_yaml
from search_index.importer import load_directory
from tests.outreach.conftest import CONTENT_DIR, replace_in


def problems_of(root: Path, matrix: ImmunityMatrix) -> list[str]:
    with pytest.raises(ContentInvalid) as caught:
        load_content(root, matrix)
    return [str(problem) for problem in caught.value.problems]


def test_the_shipped_content_is_valid_and_complete(matrix: ImmunityMatrix) -> None:
    content = load_content(CONTENT_DIR, matrix)
    assert set(content.decks) >= {
        "immunity-basics",
        "traffic-crashes-impaired",
        "verifying-status",
    }
    assert len(content.scenarios) >= 8
    assert len(content.questions) >= 25
    assert content.handouts
    assert content.pocket_card.sections
    for question in content.questions.values():
        assert question.answer in question.choices
        assert question.seminar in content.decks
    for deck in content.decks.values():
        assert deck.slides
        assert all(slide.title for slide in deck.slides)
        assert content.questions_for(deck.meta.id), f"{deck.meta.id} has no quiz questions"


def test_every_scenario_expects_what_the_rules_engine_answers(matrix: ImmunityMatrix) -> None:
    """Each scenario's subject, imported like live data, gets from the real rules engine exactly
    the level and the five actions the scenario teaches."""
    content = load_content(CONTENT_DIR, matrix)
    records = load_directory(CONTENT_DIR / "training_records")
    persons = {person.person_id: person for person in records.persons}
    for scenario in content.scenarios.values():
        assert scenario.expected.category in matrix.categories
        person = persons[scenario.subject]
        principal = persons.get(person.principal_id or "")
        answer = derive_immunity(
            person, principal, matrix=matrix, today=date.today(), verify_phone="555-0100"
        )
        assert answer.level == scenario.expected.level, scenario.id
        assert dict(answer.actions) == scenario.expected.actions, scenario.id
        assert set(scenario.expected.actions) == set(ACTION_CODES)


def test_an_answer_outside_the_choices_names_file_and_line(
    content_copy: Path, matrix: ImmunityMatrix
) -> None:
    line = replace_in(
        content_copy / "quiz.yaml",
        "answer: The sending state",
        "answer: The ambassador",
    )
    assert problems_of(content_copy, matrix) == [
        f"quiz.yaml:{line}: answer: must be one of the choices"
    ]


def test_bare_no_is_an_action_code_and_a_wrong_one_is_caught(
    content_copy: Path, matrix: ImmunityMatrix
) -> None:
    # `no` unquoted stays text (YAML 1.2 booleans), so the shipped file passes; a wrong code fails.
    line = replace_in(
        content_copy / "scenarios.yaml",
        "arrest_or_detain: no\n        enter_residence: no",
        "arrest_or_detain: never\n        enter_residence: no",
    )
    problems = problems_of(content_copy, matrix)
    assert problems[0].startswith(f"scenarios.yaml:{line - 1}: actions: arrest_or_detain: 'never'")


def test_a_scenario_that_contradicts_the_rules_file_is_rejected(
    content_copy: Path, matrix: ImmunityMatrix
) -> None:
    # The first scenario is a diplomatic agent: teaching "arrest yes" contradicts the matrix row.
    line = replace_in(
        content_copy / "scenarios.yaml", "arrest_or_detain: no", "arrest_or_detain: yes"
    )
    assert problems_of(content_copy, matrix) == [
        f"scenarios.yaml:{line}: arrest_or_detain: the rules file gives 'no' for this answer"
    ]


def test_the_content_check_follows_a_changed_rules_file(
    content_copy: Path, matrix: ImmunityMatrix
) -> None:
    raw = yaml.safe_load(Path(matrix_path()).read_text(encoding="utf-8"))
    for row in raw["categories"]:
        if row["code"] == "service_staff":
            row["prosecute"] = "yes"
    changed = parse_matrix(raw)
    problems = problems_of(CONTENT_DIR, changed)
    assert any("prosecute: the rules file gives 'yes'" in problem for problem in problems)


def matrix_path() -> str:
    from lookup.rules.immunity import DEFAULT_MATRIX_PATH

    return str(DEFAULT_MATRIX_PATH)


def test_unknown_category_and_subject(content_copy: Path, matrix: ImmunityMatrix) -> None:
    path = content_copy / "scenarios.yaml"
    category_line = replace_in(path, "category: honorary_consular_officer", "category: consul")
    subject_line = replace_in(path, "subject: TRN-P07", "subject: TRN-NOBODY")
    assert problems_of(content_copy, matrix) == [
        f"scenarios.yaml:{category_line}: category: 'consul' is not a category of the immunity "
        "rules file",
        f"scenarios.yaml:{subject_line}: subject: no person 'TRN-NOBODY' in the training records",
    ]


def test_broken_internal_link_and_unknown_placeholder(
    content_copy: Path, matrix: ImmunityMatrix
) -> None:
    path = content_copy / "handouts" / "roadside-checklist.md"
    link_line = replace_in(path, "(/outreach/handouts/reporting-incidents)", "(/outreach/nowhere)")
    phone_line = replace_in(path, "%VERIFY_PHONE%", "%PHONE%")
    problems = problems_of(content_copy, matrix)
    assert (
        f"handouts/roadside-checklist.md:{link_line}: link: /outreach/nowhere is not a page "
        "of this site" in problems
    )
    assert (
        f"handouts/roadside-checklist.md:{phone_line}: placeholder: unknown %PHONE%; use "
        "%OFM_PHONE%, %VERIFY_PHONE%" in problems
    )


def test_slide_without_heading_and_missing_field(
    content_copy: Path, matrix: ImmunityMatrix
) -> None:
    deck = content_copy / "decks" / "immunity-basics.md"
    replace_in(deck, "hours: 1.5\n", "")
    slide_line = replace_in(deck, "# Families", "Families")
    problems = problems_of(content_copy, matrix)
    assert "decks/immunity-basics.md:2: hours: Field required" in problems
    assert f"decks/immunity-basics.md:{slide_line}: slide: must start with a '# ' heading" in (
        problems
    )


def test_text_with_a_colon_gets_a_hint_and_duplicate_keys_are_caught(
    content_copy: Path, matrix: ImmunityMatrix
) -> None:
    card = content_copy / "pocket_card.yaml"
    line = replace_in(card, "- Never let an impaired driver drive on.", "- Never: drive on.")
    problems = problems_of(content_copy, matrix)
    assert problems == [
        f"pocket_card.yaml:{line}: items: Input should be a valid string "
        "(put text that contains ': ' in quotes)"
    ]
    quiz = content_copy / "quiz.yaml"
    replace_in(card, "- Never: drive on.", "- Never let an impaired driver drive on.")
    dup = (
        replace_in(
            quiz,
            "    seminar: immunity-basics\n",
            "    seminar: immunity-basics\n    seminar: verifying-status\n",
        )
        + 1
    )
    assert problems_of(content_copy, matrix) == [f"quiz.yaml:{dup}: seminar: duplicate key"]


def test_yaml_syntax_error_names_the_line(content_copy: Path, matrix: ImmunityMatrix) -> None:
    line = replace_in(content_copy / "quiz.yaml", "    choices:\n", "    choices: [\n") + 1
    problems = problems_of(content_copy, matrix)
    assert len(problems) == 1
    assert problems[0].startswith("quiz.yaml:")
    assert int(problems[0].split(":")[1]) >= line


text_values = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
)


@given(
    st.lists(
        st.dictionaries(
            st.from_regex(r"[a-z]{1,8}", fullmatch=True), text_values, min_size=1, max_size=4
        ),
        min_size=1,
        max_size=5,
    )
)
@example([{"no": "0", "yes": "on", "null": "~"}])  # words YAML 1.1 reads as booleans or null
def test_loader_keeps_text_as_text_and_knows_each_line(items: list[dict[str, str]]) -> None:
    dumped = yaml.safe_dump({"items": items}, allow_unicode=True, sort_keys=False, width=10_000)
    loaded, lines = load_yaml(dumped, "x.yaml")
    assert loaded == {"items": items}
    source_lines = dumped.splitlines()
    for index, item in enumerate(items):
        for key in item:
            line = lines[("items", index, key)]
            # The dumper quotes the keys YAML 1.1 would read as booleans or null ('no', 'null').
            written = source_lines[line - 1].lstrip("- ")
            assert written.startswith((f"{key}:", f"'{key}':"))


def test_a_deck_naming_a_missing_handout_points_at_its_line(
    content_copy: Path, matrix: ImmunityMatrix
) -> None:
    deck = content_copy / "decks" / "verifying-status.md"
    line = (
        replace_in(
            deck,
            "handouts: [reading-the-answer, reporting-incidents]",
            "handouts:\n  - reading-the-answer\n  - gone-missing",
        )
        + 2
    )
    assert problems_of(content_copy, matrix) == [
        f"decks/verifying-status.md:{line}: handouts: no handout 'gone-missing'"
    ]


def test_a_pocket_card_line_with_a_bad_link_points_at_its_line(
    content_copy: Path, matrix: ImmunityMatrix
) -> None:
    line = replace_in(
        content_copy / "pocket_card.yaml",
        "- Card, plate, licence and passport are not proof on their own.",
        "- See [the matrix](/outreach/matrix-old).",
    )
    assert problems_of(content_copy, matrix) == [
        f"pocket_card.yaml:{line}: link: /outreach/matrix-old is not a page of this site"
    ]
