"""Typed records of one published data set, one class per import file (DESIGN.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, Literal, TypeVar

MissionType = Literal[
    "embassy",
    "consular_post",
    "honorary_consular_post",
    "mission_to_io",
    "international_organization",
    "tecro_teco",
]
AccreditationStatus = Literal["active", "pending", "terminated"]
CredentialType = Literal["diplomatic", "official", "consular"]
CredentialStatus = Literal["valid", "expired", "revoked", "lost_or_stolen"]
TravelControl = Literal["none", "notify", "approval"]
TravelZone = Literal["dc", "nyc"]
ImmunityOverride = Literal["full", "official_acts", "none"]
VehicleType = Literal["car", "motorcycle", "trailer", "other"]
RegistrationStatus = Literal["active", "suspended", "expired", "revoked", "stolen"]
LicenseStatus = Literal["valid", "suspended", "revoked", "expired"]
NumberMatchKind = Literal["exact", "confusable"]
MatchKind = Literal[NumberMatchKind, "partial"]

# The category codes of the DOMAIN.md immunity matrix, which the import accepts besides
# FAMILY_MEMBER. search_index may not read lookup/rules (dependencies point one way), so the rules
# package checks that its matrix has exactly these rows.
PERSON_CATEGORIES: tuple[str, ...] = (
    "diplomatic_agent",
    "administrative_technical_staff",
    "service_staff",
    "career_consular_officer",
    "honorary_consular_officer",
    "consular_employee",
    "international_organization_staff",
    "io_mission_diplomatic_staff",
    "io_mission_support_staff",
    "tecro_designated_employee",
    "teco_head_or_deputy",
    "teco_designated_employee",
)
FAMILY_MEMBER = "family_member"


@dataclass(frozen=True, slots=True)
class Mission:
    mission_id: str
    name: str
    country: str
    mission_type: MissionType
    city: str | None = None
    state: str | None = None
    phone: str | None = None
    latitude: float | None = None  # decimal degrees (WGS 84), both or neither
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class Person:
    person_id: str
    mission_id: str
    family_name: str
    category: str  # a category code of the immunity matrix, or "family_member"
    accreditation_status: AccreditationStatus
    given_names: str | None = None
    date_of_birth: date | None = None
    title: str | None = None
    principal_id: str | None = None
    us_national_or_resident: bool = False
    immunity_override: ImmunityOverride | None = None
    override_reason: str | None = None
    accreditation_start: date | None = None
    accreditation_end: date | None = None
    credential_number: str | None = None  # normalized (search_index.normalize)
    credential_type: CredentialType | None = None
    credential_expiry: date | None = None
    credential_status: CredentialStatus | None = None
    travel_control: TravelControl = "none"
    travel_zone: TravelZone | None = None
    travel_notice_until: date | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Vehicle:
    plate: str  # normalized (search_index.normalize.normalize_plate)
    registration_status: RegistrationStatus
    owner_person_id: str | None = None
    owner_mission_id: str | None = None
    vin: str | None = None
    make: str | None = None
    model: str | None = None
    year: int | None = None
    color: str | None = None
    vehicle_type: VehicleType = "car"
    registration_expiry: date | None = None
    insurer: str | None = None
    policy_number: str | None = None
    policy_effective: date | None = None
    policy_expiry: date | None = None
    policy_cancelled: bool = False
    coverage_csl: int | None = None
    coverage_bi_person: int | None = None
    coverage_bi_accident: int | None = None
    coverage_pd: int | None = None

    @property
    def policy_identified(self) -> bool:
        """An insurer or a policy number is on record."""
        return self.insurer is not None or self.policy_number is not None


@dataclass(frozen=True, slots=True)
class PolicyGroup:
    """How many vehicles of one mission's fleet (its own and its members') share every fact their
    insurance status follows from. The backends count these groups in the store (SQL GROUP BY,
    an Elasticsearch composite aggregation); lookup/rules/insurance.py turns each group into a
    status once, so the rule has one home and a whole fleet costs one read."""

    mission_id: str
    vehicles: int
    vehicle_type: VehicleType
    policy_identified: bool
    policy_effective: date | None
    policy_expiry: date | None
    policy_cancelled: bool
    coverage_csl: int | None
    coverage_bi_person: int | None
    coverage_bi_accident: int | None
    coverage_pd: int | None


@dataclass(frozen=True, slots=True)
class License:
    license_number: str  # normalized (search_index.normalize.normalize_identifier)
    person_id: str
    status: LicenseStatus
    license_class: str | None = None
    restrictions: str | None = None
    issued: date | None = None
    expiry: date | None = None
    points: int = 0


@dataclass(frozen=True, slots=True)
class Dataset:
    """A whole, validated set of records, ready to publish."""

    missions: tuple[Mission, ...]
    persons: tuple[Person, ...]
    vehicles: tuple[Vehicle, ...]
    licenses: tuple[License, ...]

    def counts(self) -> dict[str, int]:
        return {
            "missions": len(self.missions),
            "persons": len(self.persons),
            "vehicles": len(self.vehicles),
            "licenses": len(self.licenses),
        }


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    """What is being served: which published set, since when, how large."""

    dataset_id: str
    published_at: datetime  # timezone-aware, UTC
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Substitution:
    """One confusable character: what the officer typed and what the record holds."""

    position: int  # 0-based index into the normalized plate
    typed: str
    matched: str


@dataclass(frozen=True, slots=True)
class PlateMatch:
    match: MatchKind
    score: float  # 1.0 for exact; lower is a weaker candidate
    vehicle: Vehicle
    substitutions: tuple[Substitution, ...] = ()


R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class NumberMatch(Generic[R]):
    """An ID card (record: the Person holding it) or licence (record: the License) found by
    number: the exact number, or one that differs from what was typed only by confusable
    characters (search_index.confusables), each substitution named."""

    match: NumberMatchKind
    score: float  # 1.0 for exact; lower is a weaker candidate
    record: R
    substitutions: tuple[Substitution, ...] = ()


@dataclass(frozen=True, slots=True)
class PersonHit:
    person: Person
    score: float
