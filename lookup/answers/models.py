"""The JSON shapes of lookup answers (DESIGN.md "JSON API"), as pydantic models.

They are the one description of the shape: the OpenAPI document is generated from them, and
tests/lookup/answers/test_answer_shapes.py validates real answers against them.
lookup/answers/build.py writes the per-lookup dicts directly in the same field order (validating
these models on every request cost most of a lookup's CPU). Dates are ISO `YYYY-MM-DD` strings on
the wire.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

# The vocabulary of the answers is declared once, by the rules and the records they read.
from lookup.rules.credential import CredentialToday
from lookup.rules.immunity import (
    ArrestOrDetain,
    BasisCode,
    EnterResidence,
    FamilyCode,
    IssueCitation,
    Level,
    Prosecute,
    SubpoenaWitness,
)
from lookup.rules.insurance import InsuranceStatus
from lookup.rules.licence import PointsAlert
from lookup.rules.people import AccreditationToday
from search_index.records import (
    CredentialType,
    LicenseStatus,
    MatchKind,
    NumberMatchKind,
    RegistrationStatus,
    TravelControl,
    TravelZone,
    VehicleType,
)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Actions(_Out):
    """The five action codes of DOMAIN.md."""

    arrest_or_detain: ArrestOrDetain
    enter_residence: EnterResidence
    issue_citation: IssueCitation
    subpoena_witness: SubpoenaWitness
    prosecute: Prosecute


class ActionsText(_Out):
    """Each action in plain words, as the officer should read it."""

    arrest_or_detain: str
    enter_residence: str
    issue_citation: str
    subpoena_witness: str
    prosecute: str


class FootnoteOut(_Out):
    code: str
    text: str


class ImmunityOut(_Out):
    level: Level
    label: str = Field(description="The level in words, e.g. 'Full immunity'.")
    basis: str = Field(description="Why this level: category default, family rule, override ...")
    basis_code: BasisCode
    actions: Actions
    actions_text: ActionsText
    family: FamilyCode | None = Field(
        description="What the family of this category receives (for a family member: the "
        "principal's category); null when the category is unknown."
    )
    family_text: str | None
    notes: list[str]
    summary: str = Field(description="One sentence an officer can read at a glance.")
    footnotes: list[FootnoteOut]


class MissionOut(_Out):
    mission_id: str
    name: str
    country: str
    mission_type: str
    city: str | None
    state: str | None
    phone: str | None


class PrincipalOut(_Out):
    person_id: str
    name: str
    category: str
    category_label: str


class AccreditationOut(_Out):
    status: AccreditationToday = Field(
        description="As of today: a recorded 'active' outside its dates reads 'ended' or "
        "'not_started'."
    )
    recorded_status: str
    label: str
    start: date | None
    end: date | None


class CredentialOut(_Out):
    number: str
    type: CredentialType | None
    type_label: str | None
    status: CredentialToday
    recorded_status: str | None
    label: str
    expiry: date | None
    notes: list[str]


class LicenseOut(_Out):
    license_number: str
    license_class: str | None
    restrictions: str | None
    status: LicenseStatus
    recorded_status: str
    label: str
    may_drive: bool
    issued: date | None
    expiry: date | None
    points: int = Field(
        description="Imported points plus points OFM assessed in DipCheck after the data set's "
        "publication, for incidents within the last 24 months."
    )
    points_from_reports: int = Field(
        description="How many of `points` came from incident reports not yet in the published "
        "record."
    )
    points_alert: PointsAlert
    notes: list[str]


class TravelControlOut(_Out):
    regime: TravelControl
    zone: TravelZone | None
    zone_label: str | None
    notice_until: date | None
    covers_today: bool | None = Field(
        description="Whether a notification or approval on file covers today; null when no "
        "travel control applies."
    )
    label: str


class PersonOut(_Out):
    person_id: str
    name: str = Field(description="'Family, Given names'.")
    family_name: str
    given_names: str | None
    # An absent key rather than a null, so no renderer can show an empty "date of birth" line.
    date_of_birth: date | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="Only present when the caller asked for it (never on SMS).",
    )
    mission: MissionOut | None
    title: str | None
    category: str
    category_label: str
    us_national_or_resident: bool
    immunity: ImmunityOut
    principal: PrincipalOut | None
    accreditation: AccreditationOut
    credential: CredentialOut | None
    license: LicenseOut | None
    travel_control: TravelControlOut
    flags: list[str]


class PersonHitOut(PersonOut):
    score: float = Field(description="Name-search relevance, higher is better.")


class SubstitutionOut(_Out):
    position: int = Field(description="0-based index into the normalized plate or number.")
    typed: str
    matched: str


class CoverageOut(_Out):
    csl: int | None
    bi_person: int | None
    bi_accident: int | None
    pd: int | None


class MinimumOut(_Out):
    csl: int
    bi_person: int
    bi_accident: int
    pd: int


class InsuranceOut(_Out):
    status: InsuranceStatus
    label: str
    may_be_driven: bool
    insurer: str | None
    policy_number: str | None
    effective: date | None
    expiry: date | None
    cancelled: bool
    days_left: int | None
    coverage: CoverageOut
    minimum: MinimumOut | None
    meets_minimum: bool | None
    notes: list[str]


class RegistrationOut(_Out):
    status: RegistrationStatus
    recorded_status: str
    label: str
    expiry: date | None
    may_confiscate_plates: bool
    notes: list[str]


class VehicleOut(_Out):
    plate: str
    vin: str | None
    make: str | None
    model: str | None
    year: int | None
    color: str | None
    vehicle_type: VehicleType
    registration: RegistrationOut
    insurance: InsuranceOut
    immune_vehicle_rule: str | None = Field(
        description="Set when the registrant is fully immune (or an embassy or mission to an "
        "international organization): the vehicle may not be searched, seized or impounded."
    )


class RegistrantPerson(_Out):
    person: PersonOut


class RegistrantMission(_Out):
    mission: MissionOut


class RegistrantMissing(_Out):
    missing: str = Field(description="The registrant named by the vehicle record is not on record.")


class PlateMatchOut(_Out):
    match: MatchKind
    score: float
    substitutions: list[SubstitutionOut]
    vehicle: VehicleOut
    registrant: RegistrantPerson | RegistrantMission | RegistrantMissing
    persons: list[PersonOut] = Field(
        description="People linked to the registrant: the registrant and their household, or the "
        "mission's members (up to a limit)."
    )
    persons_truncated: bool
    notice: str


class CredentialMatchOut(PersonOut):
    """The holder of an ID card found by number; `match` says whether the number is the one
    typed or a look-alike of it."""

    match: NumberMatchKind = Field(
        description="`confusable`: the card number differs from what was typed only by "
        "characters that are easy to misread (O/0, I/1, S/5, B/8 ...), at most two, each in "
        "`substitutions`."
    )
    score: float = Field(description="1.0 for the exact number, lower for a weaker look-alike.")
    substitutions: list[SubstitutionOut]


class LicenseMatchOut(_Out):
    match: NumberMatchKind = Field(
        description="`confusable`: the number differs from what was typed only by characters "
        "that are easy to misread (O/0, I/1, S/5, B/8 ...), at most two, each in `substitutions`."
    )
    score: float
    substitutions: list[SubstitutionOut]
    license: LicenseOut
    person: PersonOut | None


class MatrixActionValue(_Out):
    code: str
    text: str
    short: str


class MatrixAction(_Out):
    code: str
    label: str
    values: list[MatrixActionValue]


class MatrixLevel(_Out):
    code: Level
    label: str
    headline: str
    actions: Actions


class MatrixCategory(_Out):
    code: str
    label: str
    group: str
    level: Level
    level_label: str
    actions: Actions
    actions_text: ActionsText
    family: FamilyCode
    family_text: str
    notes: list[str]
    footnotes: list[str] = Field(description="Codes of the footnotes shown with this category.")


class MatrixFootnote(_Out):
    code: str
    text: str
    always: bool
    levels: list[str]
    categories: list[str]
    mission_types: list[str]
    except_levels: list[str] = Field(
        description="Levels at which the note never applies, even to its categories."
    )


class UsNationalRules(_Out):
    by_category: dict[str, str] = Field(
        description="Level by category ('category_default' keeps the category's own row)."
    )
    default: str


class MatrixOut(_Out):
    categories: list[MatrixCategory]
    levels: list[MatrixLevel]
    actions: list[MatrixAction]
    family: dict[str, str]
    footnotes: list[MatrixFootnote]
    us_national_or_resident: UsNationalRules
