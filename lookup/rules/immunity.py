"""The immunity answer for one person as of one day, read from immunity_matrix.yaml.

Order of the rules (first that applies wins):
1. accreditation not active today -> `unverified` (call the 24/7 number);
2. an OFM override -> its level, actions from the level, "recorded by OFM" with its reason;
3. U.S. national or permanent resident -> the level from the matrix's `us_national_or_resident`;
4. family member -> the principal's `family` column (`unverified` when the principal is not on
   record, not a mission member, or not active today);
5. the category's own row.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal, TypeVar, get_args

import yaml

from lookup.rules.people import Accreditation, accreditation_on, display_name

# Re-exported: the category code of family members is defined once, with the records.
from search_index.records import FAMILY_MEMBER as FAMILY_MEMBER
from search_index.records import ImmunityOverride, MissionType, Person

DEFAULT_MATRIX_PATH: Final = Path(__file__).with_name("immunity_matrix.yaml")

ACTION_CODES: Final = (
    "arrest_or_detain",
    "enter_residence",
    "issue_citation",
    "subpoena_witness",
    "prosecute",
)
# The answer vocabulary: each value is declared here once; the answer models (the OpenAPI
# document), the matrix loader and the channels take them from here.
ArrestOrDetain = Literal["no", "felony_warrant_only", "yes"]
EnterResidence = Literal["no", "yes"]
IssueCitation = Literal["yes"]
SubpoenaWitness = Literal["no", "not_for_official_acts", "yes"]
Prosecute = Literal["no", "official_acts_immune", "yes"]
ACTION_VALUES: Final[Mapping[str, tuple[str, ...]]] = {
    "arrest_or_detain": get_args(ArrestOrDetain),
    "enter_residence": get_args(EnterResidence),
    "issue_citation": get_args(IssueCitation),
    "subpoena_witness": get_args(SubpoenaWitness),
    "prosecute": get_args(Prosecute),
}
# Levels a category row, an override or a U.S.-national rule can give (not `unverified`).
RECORDED_LEVELS: Final = get_args(ImmunityOverride)
Level = Literal[ImmunityOverride, "unverified"]
LEVELS: Final[tuple[Level, ...]] = get_args(Level)
FamilyCode = Literal["same_as_principal", "none", "consult_state"]
FAMILY_CODES: Final[tuple[FamilyCode, ...]] = get_args(FamilyCode)
MISSION_TYPES: Final = get_args(MissionType)
# The footnote that plate answers attach to the vehicle of a fully immune registrant.
VEHICLE_RULE: Final = "vehicle_full_immunity"
_CATEGORY_DEFAULT: Final = "category_default"

BasisCode = Literal[
    "category_default",
    "family",
    "us_national",
    "ofm_override",
    "accreditation_not_active",
    "principal_not_verified",
    "category_unknown",
]


_Code = TypeVar("_Code", bound=str)


class MatrixError(ValueError):
    """The matrix file is malformed; the message names the entry."""


@dataclass(frozen=True, slots=True)
class ActionValue:
    code: str
    text: str
    short: str


@dataclass(frozen=True, slots=True)
class ActionSpec:
    code: str
    label: str
    values: Mapping[str, ActionValue]


@dataclass(frozen=True, slots=True)
class LevelRule:
    code: Level
    label: str
    headline: str
    actions: Mapping[str, str]
    instruction: str | None = None  # may hold {verify_phone}


@dataclass(frozen=True, slots=True)
class Footnote:
    code: str
    text: str
    always: bool = False
    levels: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    mission_types: frozenset[str] = frozenset()
    # Levels at which the note is wrong even for its categories (a consul raised to full immunity
    # has an inviolable residence: "only the office space is protected" would mislead).
    except_levels: frozenset[str] = frozenset()

    def applies(self, level: str, category: str | None) -> bool:
        if level in self.except_levels:
            return False
        return self.always or level in self.levels or category in self.categories


@dataclass(frozen=True, slots=True)
class CategoryRule:
    code: str
    label: str
    group: str
    actions: Mapping[str, str]
    family: FamilyCode
    level: Level
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ActionSet:
    """The five actions of one matrix row (a level or a category), with the sentence of each and
    the summary, worked out once per matrix: every answer at that row shares this object, so its
    mappings are read-only."""

    level: Level
    values: MappingProxyType[str, str]  # in the order of ACTION_CODES
    texts: MappingProxyType[str, str]
    summary_head: str
    summary_instruction: str | None  # the level's instruction, may hold {verify_phone}
    summary_tail: str

    def summary(self, verify_phone: str) -> str:
        if self.summary_instruction is None:
            return self.summary_head + self.summary_tail
        instruction = self.summary_instruction.format(verify_phone=verify_phone)
        return f"{self.summary_head}{instruction} {self.summary_tail}"


@dataclass(frozen=True, slots=True)
class ImmunityMatrix:
    actions: Mapping[str, ActionSpec]
    family: Mapping[str, str]
    levels: Mapping[str, LevelRule]
    footnotes: tuple[Footnote, ...]
    us_national: Mapping[str, str]  # category code -> level or "category_default"
    us_national_default: str
    categories: Mapping[str, CategoryRule]
    # Derived once here from the fields above (answers read them for every person shown).
    level_actions: Mapping[str, ActionSet] = field(init=False, repr=False, compare=False)
    category_actions: Mapping[str, ActionSet] = field(init=False, repr=False, compare=False)
    _footnotes_by: Mapping[tuple[str, str | None], tuple[Footnote, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        level_actions = {
            code: _action_set(self, rule.code, rule.actions) for code, rule in self.levels.items()
        }
        category_actions = {
            code: _action_set(self, rule.level, rule.actions)
            for code, rule in self.categories.items()
        }
        footnotes_by = {
            (level, category): tuple(f for f in self.footnotes if f.applies(level, category))
            for level in self.levels
            for category in (None, *self.categories)
        }
        object.__setattr__(self, "level_actions", MappingProxyType(level_actions))
        object.__setattr__(self, "category_actions", MappingProxyType(category_actions))
        object.__setattr__(self, "_footnotes_by", MappingProxyType(footnotes_by))

    def footnotes_for(self, level: str, category: str | None) -> tuple[Footnote, ...]:
        """The footnotes an answer at `level` shows for a person of `category` (a code of this
        matrix, or None when the person's row is unknown)."""
        return self._footnotes_by[level, category]

    def category_label(self, code: str) -> str:
        if code == FAMILY_MEMBER:
            return "Family member"
        rule = self.categories.get(code)
        return rule.label if rule else code

    def action_text(self, code: str, value: str) -> str:
        return self.actions[code].values[value].text

    def vehicle_rule(
        self, *, level: str | None = None, mission_type: str | None = None
    ) -> Footnote | None:
        """The vehicle rule when it applies to a registrant of this level or mission type."""
        for note in self.footnotes:
            if note.code == VEHICLE_RULE and (
                level in note.levels or mission_type in note.mission_types
            ):
                return note
        return None


@dataclass(frozen=True, slots=True)
class Immunity:
    level: Level
    basis: str
    basis_code: BasisCode
    actions: MappingProxyType[str, str]  # in the order of ACTION_CODES
    actions_text: MappingProxyType[str, str]  # the matrix's sentence for each action
    family: str | None
    notes: tuple[str, ...]
    summary: str
    footnotes: tuple[Footnote, ...]


# -- loading ---------------------------------------------------------------------------------------


def load_matrix(path: Path | None = None) -> ImmunityMatrix:
    """The matrix from `path` (default: the file beside this module), parsed once per path."""
    return _load_cached((path or DEFAULT_MATRIX_PATH).resolve())


@functools.cache
def _load_cached(path: Path) -> ImmunityMatrix:
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return parse_matrix(raw)


def parse_matrix(raw: object) -> ImmunityMatrix:
    """Validate and convert the YAML document; raises MatrixError naming the bad entry."""
    doc = _mapping(raw, "matrix")
    actions = {code: _parse_action(code, doc) for code in ACTION_CODES}
    family = _mapping(doc.get("family"), "family")
    for code in FAMILY_CODES:
        _text(family.get(code), f"family.{code}")
    _only_keys(family, FAMILY_CODES, "family")
    levels_raw = _mapping(doc.get("levels"), "levels")
    _only_keys(levels_raw, LEVELS, "levels")
    levels: dict[str, LevelRule] = {
        code: _parse_level(code, levels_raw.get(code)) for code in LEVELS
    }
    categories: dict[str, CategoryRule] = {}
    for index, entry in enumerate(_list(doc.get("categories"), "categories")):
        rule = _parse_category(index, entry)
        if rule.code in categories or rule.code == FAMILY_MEMBER:
            raise MatrixError(f"categories[{index}].code: duplicate or reserved code {rule.code!r}")
        categories[rule.code] = rule
    footnotes = tuple(
        _parse_footnote(code, value, categories)
        for code, value in _mapping(doc.get("footnotes"), "footnotes").items()
    )
    if VEHICLE_RULE not in {note.code for note in footnotes}:
        raise MatrixError(f"footnotes.{VEHICLE_RULE}: required (plate answers show it)")
    us_raw = _mapping(doc.get("us_national_or_resident"), "us_national_or_resident")
    us_national: dict[str, str] = {}
    for key, value in us_raw.items():
        where = f"us_national_or_resident.{key}"
        if key != "default" and key != FAMILY_MEMBER and key not in categories:
            raise MatrixError(f"{where}: unknown category")
        allowed = (*LEVELS, _CATEGORY_DEFAULT) if key != "default" else LEVELS
        us_national[str(key)] = _choice(value, allowed, where)
    default = us_national.pop("default", None)
    if default is None:
        raise MatrixError("us_national_or_resident.default: required")
    return ImmunityMatrix(
        actions=actions,
        family=dict(family),
        levels=levels,
        footnotes=footnotes,
        us_national=us_national,
        us_national_default=default,
        categories=categories,
    )


def _parse_action(code: str, doc: Mapping[str, Any]) -> ActionSpec:
    where = f"actions.{code}"
    entry = _mapping(_mapping(doc.get("actions"), "actions").get(code), where)
    values_raw = _mapping(entry.get("values"), f"{where}.values")
    _only_keys(values_raw, ACTION_VALUES[code], f"{where}.values")
    values = {}
    for value in ACTION_VALUES[code]:
        item = _mapping(values_raw.get(value), f"{where}.values.{value}")
        values[value] = ActionValue(
            code=value,
            text=_text(item.get("text"), f"{where}.values.{value}.text"),
            short=_text(item.get("short"), f"{where}.values.{value}.short"),
        )
    return ActionSpec(code=code, label=_text(entry.get("label"), f"{where}.label"), values=values)


def _parse_level(code: Level, raw: object) -> LevelRule:
    where = f"levels.{code}"
    entry = _mapping(raw, where)
    instruction = entry.get("instruction")
    return LevelRule(
        code=code,
        label=_text(entry.get("label"), f"{where}.label"),
        headline=_text(entry.get("headline"), f"{where}.headline"),
        actions=_actions(entry.get("actions"), f"{where}.actions"),
        instruction=None if instruction is None else _text(instruction, f"{where}.instruction"),
    )


def _parse_category(index: int, raw: object) -> CategoryRule:
    where = f"categories[{index}]"
    entry = _mapping(raw, where)
    code = _text(entry.get("code"), f"{where}.code")
    where = f"categories[{index}] ({code})"
    notes = tuple(_text(n, f"{where}.notes") for n in _list(entry.get("notes", []), where))
    level = _choice(entry.get("level"), RECORDED_LEVELS, f"{where}.level")
    return CategoryRule(
        code=code,
        label=_text(entry.get("label"), f"{where}.label"),
        group=_text(entry.get("group"), f"{where}.group"),
        actions=_actions({k: entry.get(k) for k in ACTION_CODES}, where),
        family=_one_of(_choice(entry.get("family"), FAMILY_CODES, f"{where}.family"), FAMILY_CODES),
        level=_one_of(level, LEVELS),
        notes=notes,
    )


def _parse_footnote(code: object, raw: object, categories: Mapping[str, object]) -> Footnote:
    where = f"footnotes.{code}"
    entry = _mapping(raw, where)
    show = entry.get("show")
    levels = frozenset(
        _choice(v, LEVELS, f"{where}.levels") for v in _list(entry.get("levels", []), where)
    )
    cats = frozenset(
        _text(v, f"{where}.categories") for v in _list(entry.get("categories", []), where)
    )
    except_levels = frozenset(
        _choice(v, LEVELS, f"{where}.except_levels")
        for v in _list(entry.get("except_levels", []), where)
    )
    if unknown := sorted(cats - set(categories)):
        raise MatrixError(f"{where}.categories: unknown category {unknown[0]!r}")
    if show not in (None, "always"):
        raise MatrixError(f"{where}.show: must be 'always' when given")
    mission_types = frozenset(
        _choice(v, MISSION_TYPES, f"{where}.mission_types")
        for v in _list(entry.get("mission_types", []), where)
    )
    if show is None and not levels and not cats and not mission_types:
        raise MatrixError(f"{where}: needs show: always, levels, categories or mission_types")
    return Footnote(
        code=str(code),
        text=_text(entry.get("text"), f"{where}.text"),
        always=show == "always",
        levels=levels,
        categories=cats,
        mission_types=mission_types,
        except_levels=except_levels,
    )


def _actions(raw: object, where: str) -> dict[str, str]:
    entry = _mapping(raw, where)
    return {
        code: _choice(entry.get(code), ACTION_VALUES[code], f"{where}.{code}")
        for code in ACTION_CODES
    }


def _mapping(raw: object, where: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise MatrixError(f"{where}: expected a mapping")
    return raw


def _list(raw: object, where: str) -> list[Any]:
    if not isinstance(raw, list):
        raise MatrixError(f"{where}: expected a list")
    return raw


def _text(raw: object, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise MatrixError(f"{where}: expected non-empty text")
    return raw.strip()


def _choice(raw: object, allowed: tuple[str, ...], where: str) -> str:
    # A bare YAML no/yes arrives as a bool: name the fix rather than "not one of".
    if isinstance(raw, bool):
        raise MatrixError(f"{where}: write {'yes' if raw else 'no'!r} in quotes")
    if raw not in allowed:
        raise MatrixError(f"{where}: {raw!r} is not one of {', '.join(allowed)}")
    return str(raw)


def _only_keys(entry: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in entry:
        if key not in allowed:
            raise MatrixError(f"{where}: unknown entry {key!r}")


def _action_set(matrix: ImmunityMatrix, level: Level, actions: Mapping[str, str]) -> ActionSet:
    phrases = matrix.actions

    def short(code: str) -> str:
        return phrases[code].values[actions[code]].short

    restraint = short("arrest_or_detain")
    if actions["enter_residence"] == "no":
        restraint += ", " + short("enter_residence")
    level_rule = matrix.levels[level]
    return ActionSet(
        level=level,
        values=MappingProxyType({code: actions[code] for code in ACTION_CODES}),
        texts=MappingProxyType(
            {code: matrix.action_text(code, actions[code]) for code in ACTION_CODES}
        ),
        summary_head=f"{level_rule.headline}: ",
        summary_instruction=level_rule.instruction,
        summary_tail=f"{restraint}; {short('issue_citation')}.",
    )


def _one_of(value: str, allowed: tuple[_Code, ...]) -> _Code:
    """`value` as the Literal type of `allowed` (the loader has checked it already)."""
    for code in allowed:
        if value == code:
            return code
    raise MatrixError(f"{value!r} is not one of {', '.join(allowed)}")


# -- deriving an answer ----------------------------------------------------------------------------

# Recorded levels from least to most immunity (a family is capped at its principal's).
_RANK: Final[Mapping[str, int]] = {"none": 0, "official_acts": 1, "full": 2}


def derive_immunity(
    person: Person,
    principal: Person | None,
    *,
    matrix: ImmunityMatrix,
    today: date,
    verify_phone: str,
    accreditation: Accreditation | None = None,
) -> Immunity:
    """The immunity answer for `person` as of `today`. `principal` is the record named by a family
    member's principal_id (None when absent or not a family member). `accreditation` is the
    person's accreditation as of `today` when the caller has it already."""
    answer = _Answer(matrix, verify_phone)
    own_rule = matrix.categories.get(person.category)
    is_family = person.category == FAMILY_MEMBER
    principal_rule = matrix.categories.get(principal.category) if principal else None
    # The household's footnotes and family column come from the principal's category.
    rule = principal_rule if is_family else own_rule

    if accreditation is None:
        accreditation = accreditation_on(person, today)
    if not accreditation.active:
        return answer.unverified(
            "accreditation_not_active",
            f"{accreditation.label}: the record does not show current status",
            rule,
        )

    if person.immunity_override is not None:
        reason = person.override_reason or "no reason recorded"
        return answer.at_level(
            person.immunity_override,
            "ofm_override",
            f"OFM override: {reason} (recorded by OFM)",
            rule,
            notes=(f"Level recorded by OFM: {reason}.",),
        )

    if person.us_national_or_resident:
        key = FAMILY_MEMBER if is_family else person.category
        us_level = matrix.us_national.get(key, matrix.us_national_default)
        if us_level != _CATEGORY_DEFAULT:
            return answer.at_level(
                _one_of(us_level, LEVELS),
                "us_national",
                "U.S. national or permanent resident rule",
                rule,
                notes=(
                    ()
                    if us_level != "unverified"
                    else (
                        "U.S. national or permanent resident: the level for this category is "
                        f"decided case by case; call {verify_phone}.",
                    )
                ),
            )

    if is_family:
        return _family_answer(answer, person, principal, principal_rule, today)

    if own_rule is None:
        return answer.unverified(
            "category_unknown", f"Category {person.category!r} is not in the immunity matrix", None
        )
    return answer.from_category(own_rule, "category_default", f"Category default: {own_rule.label}")


def _family_answer(
    answer: _Answer,
    person: Person,
    principal: Person | None,
    principal_rule: CategoryRule | None,
    today: date,
) -> Immunity:
    if principal is None or principal_rule is None:
        if principal is None:
            missing = "not on record"
        elif principal.category == FAMILY_MEMBER:
            missing = "not a mission member"
        else:
            missing = "of a category not in the immunity matrix"
        return answer.unverified(
            "principal_not_verified", f"Family member; principal {missing}", principal_rule
        )
    of_whom = f"Family member of {display_name(principal)} ({principal_rule.label})"
    principal_accreditation = accreditation_on(principal, today)
    if not principal_accreditation.active:
        return answer.unverified(
            "principal_not_verified",
            f"{of_whom}; principal: {principal_accreditation.label.lower()}",
            principal_rule,
        )
    if principal_rule.family == "same_as_principal":
        notes: tuple[str, ...] = ()
        if principal.immunity_override is not None or principal.us_national_or_resident:
            notes = (
                "The principal's own level differs from the category default; verify this family "
                "member's status with the State Department.",
            )
            # A household never has more immunity than its principal: when an override or the
            # U.S.-national rule lowered the principal, the family gets at most that level.
            own = derive_immunity(
                principal,
                None,
                matrix=answer.matrix,
                today=today,
                verify_phone=answer.verify_phone,
                accreditation=principal_accreditation,
            )
            if own.level == "unverified":
                return answer.unverified(
                    "family", f"{of_whom}: the principal's level must be verified", principal_rule
                )
            if _RANK[own.level] < _RANK[principal_rule.level]:
                return answer.at_level(
                    own.level,
                    "family",
                    f"{of_whom}: at most the principal's level",
                    principal_rule,
                    notes=notes,
                )
        return answer.from_category(
            principal_rule, "family", f"{of_whom}: same as principal", notes=notes, copy_notes=False
        )
    if principal_rule.family == "none":
        return answer.at_level(
            "none", "family", f"{of_whom}: family has no immunity", principal_rule
        )
    return answer.unverified(
        "family",
        f"{of_whom}: family status set by the State Department",
        principal_rule,
        notes=(f"Consult the State Department about family members of a {principal_rule.label}.",),
    )


class _Answer:
    """Builds Immunity values with the matrix's wording, footnotes and summary."""

    def __init__(self, matrix: ImmunityMatrix, verify_phone: str) -> None:
        self.matrix = matrix
        self.verify_phone = verify_phone

    def from_category(
        self,
        rule: CategoryRule,
        basis_code: BasisCode,
        basis: str,
        *,
        notes: tuple[str, ...] = (),
        copy_notes: bool = True,
    ) -> Immunity:
        own_notes = rule.notes if copy_notes else ()
        actions = self.matrix.category_actions[rule.code]
        return self._build(actions, basis_code, basis, rule, (*own_notes, *notes))

    def at_level(
        self,
        level: Level,
        basis_code: BasisCode,
        basis: str,
        rule: CategoryRule | None,
        *,
        notes: tuple[str, ...] = (),
    ) -> Immunity:
        return self._build(self.matrix.level_actions[level], basis_code, basis, rule, notes)

    def unverified(
        self,
        basis_code: BasisCode,
        basis: str,
        rule: CategoryRule | None,
        *,
        notes: tuple[str, ...] = (),
    ) -> Immunity:
        call = f"Call {self.verify_phone} (24/7) to verify; until then act as for full immunity."
        return self.at_level("unverified", basis_code, basis, rule, notes=(*notes, call))

    def _build(
        self,
        actions: ActionSet,
        basis_code: BasisCode,
        basis: str,
        rule: CategoryRule | None,
        notes: tuple[str, ...],
    ) -> Immunity:
        return Immunity(
            level=actions.level,
            basis=basis,
            basis_code=basis_code,
            actions=actions.values,
            actions_text=actions.texts,
            family=rule.family if rule else None,
            notes=notes,
            summary=actions.summary(self.verify_phone),
            footnotes=self.matrix.footnotes_for(actions.level, rule.code if rule else None),
        )
