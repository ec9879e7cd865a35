"""The shape of each training-content file, as pydantic models.

Only checks that need one file live here; references between files (a question's seminar, a
scenario's category in the rules file) are checked in outreach/content.py.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from lookup.rules.immunity import ACTION_CODES, ACTION_VALUES, RECORDED_LEVELS

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=60)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Model(BaseModel):
    # Unknown keys are typos; numbers written bare (a choice "12") are text.
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class DeckMeta(_Model):
    id: Slug
    title: Line
    summary: Text
    audience: Line
    hours: float = Field(gt=0, le=40, description="Hours of credit a certificate states.")
    handouts: tuple[Slug, ...] = ()


class HandoutMeta(_Model):
    id: Slug
    title: Line
    summary: Text


class PocketCardSection(_Model):
    heading: Line
    items: tuple[Line, ...] = Field(min_length=1, max_length=8)


class PocketCard(_Model):
    title: Line
    sections: tuple[PocketCardSection, ...] = Field(min_length=1, max_length=8)


class ScenarioLookup(_Model):
    kind: Literal["plate", "credential", "license", "person"]
    value: Line


class ExpectedAnswer(_Model):
    category: Line
    basis: Literal["category", "family_member", "us_national_or_resident", "override"]
    level: str
    actions: dict[str, str]
    steps: tuple[Line, ...] = Field(min_length=1)

    @field_validator("level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value not in RECORDED_LEVELS:
            raise ValueError(f"must be one of {', '.join(RECORDED_LEVELS)}")
        return value

    @field_validator("actions")
    @classmethod
    def _actions(cls, value: dict[str, str]) -> dict[str, str]:
        # The five action codes and their values are the rules module's vocabulary.
        missing = [code for code in ACTION_CODES if code not in value]
        if missing:
            raise ValueError(f"missing action code {missing[0]}")
        for code, chosen in value.items():
            if code not in ACTION_VALUES:
                raise ValueError(f"unknown action code {code}")
            if chosen not in ACTION_VALUES[code]:
                allowed = ", ".join(ACTION_VALUES[code])
                raise ValueError(f"{code}: {chosen!r} must be one of {allowed}")
        return value


class Scenario(_Model):
    id: Slug
    title: Line
    seminar: Slug
    situation: Text
    lookup: ScenarioLookup
    subject: Line = Field(description="person_id of the training record the scenario is about")
    expected: ExpectedAnswer
    why: Text


class ScenarioFile(_Model):
    scenarios: tuple[Scenario, ...] = Field(min_length=1)


class Question(_Model):
    id: Slug
    seminar: Slug
    prompt: Text
    choices: tuple[Line, ...] = Field(min_length=2, max_length=6)
    answer: Line
    explanation: Text

    @field_validator("choices")
    @classmethod
    def _distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("choices must differ from each other")
        return value

    @field_validator("answer")
    @classmethod
    def _answer_is_a_choice(cls, value: str, info: ValidationInfo) -> str:
        choices = info.data.get("choices")
        if choices is not None and value not in choices:
            raise ValueError("must be one of the choices")
        return value


class QuizFile(_Model):
    questions: tuple[Question, ...] = Field(min_length=1)
