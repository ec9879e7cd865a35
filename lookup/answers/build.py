"""Records in, contract JSON out (DESIGN.md "JSON API"), as of the day in an AnswerContext.

Every channel renders these dicts; the shapes are the models in lookup/answers/models.py. Functions
read related records (principal, family, licence, mission) through the lookup's pinned Snapshot,
so one answer never mixes two published data sets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from lookup.answers import models as m
from lookup.rules.credential import credential_on
from lookup.rules.immunity import (
    ACTION_CODES,
    FAMILY_MEMBER,
    Immunity,
    ImmunityMatrix,
    Level,
    derive_immunity,
    load_matrix,
)
from lookup.rules.insurance import InsuranceRules, InsuranceStatus, insurance_on
from lookup.rules.licence import PointsThresholds, licence_on
from lookup.rules.people import Accreditation, accreditation_on, display_name
from lookup.rules.registration import registration_on
from lookup.rules.travel import travel_on
from search_index.backend import Snapshot
from search_index.records import (
    License,
    Mission,
    NumberMatch,
    Person,
    PersonHit,
    PlateMatch,
    Substitution,
    Vehicle,
)

PLATE_NOTICE = (
    "A plate identifies the registrant, not the driver. Check the driver's own ID card or licence; "
    "anyone, with or without immunity, may be driving."
)


# (person ids, the served data set's publication time, today) -> points assessed from incident
# reports since that publication, per person (lookup/answers/reported_points.py); persons without
# any may be left out.
ReportedPoints = Callable[[Sequence[str], datetime, date], Mapping[str, int]]


@dataclass(frozen=True, slots=True)
class AnswerContext:
    """What an answer depends on besides records; the app builds it from its settings per lookup.

    `include_date_of_birth` adds the date of birth to persons (for an officer comparing a card);
    leave it off for SMS and for anything a third party may see. `reported_points` adds points
    from assessed incident reports to licences (None: the imported figure alone).
    """

    today: date
    verify_phone: str
    points: PointsThresholds = field(default_factory=PointsThresholds)
    insurance: InsuranceRules = field(default_factory=InsuranceRules)
    members_limit: int = 25
    include_date_of_birth: bool = False
    matrix: ImmunityMatrix = field(default_factory=load_matrix)
    reported_points: ReportedPoints | None = None

    def __post_init__(self) -> None:
        if self.members_limit < 1:
            raise ValueError("members_limit: must be at least 1")


@dataclass(slots=True)
class Shown:
    """What an answer showed, in brief, noted from the typed values as its matches are built
    (never read back out of the JSON): the immunity level of each person shown, in order, and
    the first vehicle's insurance status. The audit record keeps it (lookup receipts sign it)."""

    levels: list[Level] = field(default_factory=list)
    insurance: InsuranceStatus | None = None


def person_json(
    snapshot: Snapshot, person: Person, ctx: AnswerContext, shown: Shown | None = None
) -> dict[str, Any]:
    builder = _Builder(snapshot, ctx, shown)
    return builder.person(person, builder.licence_of(person))


def person_hits_json(
    snapshot: Snapshot, hits: Sequence[PersonHit], ctx: AnswerContext, shown: Shown | None = None
) -> list[dict[str, Any]]:
    """Name-search results: each person plus its relevance score, their related records read
    together."""
    builder = _Builder(snapshot, ctx, shown)
    builder.read_people([hit.person for hit in hits])
    found = []
    for hit in hits:
        answer = builder.person(hit.person, builder.licence_of(hit.person))
        answer["score"] = float(hit.score)
        found.append(answer)
    return found


def plate_matches_json(
    snapshot: Snapshot,
    matches: Sequence[PlateMatch],
    ctx: AnswerContext,
    shown: Shown | None = None,
) -> list[dict[str, Any]]:
    """The matches of one plate answer, their related records read together."""
    builder = _Builder(snapshot, ctx, shown)
    builder.read_households([match.vehicle for match in matches])
    return [builder.plate_match(match) for match in matches]


def license_matches_json(
    snapshot: Snapshot,
    matches: Sequence[NumberMatch[License]],
    ctx: AnswerContext,
    shown: Shown | None = None,
) -> list[dict[str, Any]]:
    """Licences found by number (exactly, or differing only by confusable characters), each
    with its holder (null when the holder is not on record), their records read together."""
    builder = _Builder(snapshot, ctx, shown)
    holder_ids = [found.record.person_id for found in matches]
    builder.read_persons(holder_ids)
    builder.read_principals_and_missions(
        [holder for p in holder_ids if (holder := builder.get_person(p))]
    )
    builder.read_reported_points(holder_ids)
    answers = []
    for found in matches:
        licence = found.record
        holder = builder.get_person(licence.person_id)
        answers.append(
            {
                **_number_match(found),
                "license": builder.licence(licence),
                "person": builder.person(holder, licence) if holder else None,
            }
        )
    return answers


def credential_matches_json(
    snapshot: Snapshot,
    matches: Sequence[NumberMatch[Person]],
    ctx: AnswerContext,
    shown: Shown | None = None,
) -> list[dict[str, Any]]:
    """State Department ID cards found by number: each holder, whose `credential` is the card,
    and how the number matched what was typed, their records read together."""
    builder = _Builder(snapshot, ctx, shown)
    builder.read_people([found.record for found in matches])
    return [
        {**builder.person(found.record, builder.licence_of(found.record)), **_number_match(found)}
        for found in matches
    ]


def _number_match(found: NumberMatch[Any]) -> dict[str, Any]:
    return {
        "match": found.match,
        "score": float(found.score),
        "substitutions": _substitutions(found.substitutions),
    }


def _substitutions(subs: tuple[Substitution, ...]) -> list[dict[str, Any]]:
    return [{"position": s.position, "typed": s.typed, "matched": s.matched} for s in subs]


def matrix_json(matrix: ImmunityMatrix) -> dict[str, Any]:
    """The whole matrix for the public GET /api/v1/immunity-matrix and the training pages."""
    categories = [
        m.MatrixCategory(
            code=rule.code,
            label=rule.label,
            group=rule.group,
            level=rule.level,
            level_label=matrix.levels[rule.level].label,
            actions=m.Actions.model_validate(rule.actions),
            actions_text=m.ActionsText.model_validate(_actions_text(matrix, rule.actions)),
            family=rule.family,
            family_text=matrix.family[rule.family],
            notes=list(rule.notes),
            footnotes=[f.code for f in matrix.footnotes if f.applies(rule.level, rule.code)],
        )
        for rule in matrix.categories.values()
    ]
    answer = m.MatrixOut(
        categories=categories,
        levels=[
            m.MatrixLevel(
                code=level.code,
                label=level.label,
                headline=level.headline,
                actions=m.Actions.model_validate(level.actions),
            )
            for level in matrix.levels.values()
        ],
        actions=[
            m.MatrixAction(
                code=spec.code,
                label=spec.label,
                values=[
                    m.MatrixActionValue(code=v.code, text=v.text, short=v.short)
                    for v in spec.values.values()
                ],
            )
            for spec in matrix.actions.values()
        ],
        family=dict(matrix.family),
        footnotes=[
            m.MatrixFootnote(
                code=f.code,
                text=f.text,
                always=f.always,
                levels=sorted(f.levels),
                categories=sorted(f.categories),
                mission_types=sorted(f.mission_types),
                except_levels=sorted(f.except_levels),
            )
            for f in matrix.footnotes
        ],
        us_national_or_resident=m.UsNationalRules(
            by_category=dict(matrix.us_national), default=matrix.us_national_default
        ),
    )
    return answer.model_dump(mode="json")


V = TypeVar("V")


def _read_unread(
    known: dict[str, V],
    keys: Iterable[str],
    read: Callable[[list[str]], Mapping[str, V]],
    absent: V,
) -> None:
    """Read the keys `known` does not hold yet, in one call of `read`, and note each of them:
    what `read` found, or `absent` for one it did not."""
    unread = [key for key in dict.fromkeys(keys) if key not in known]
    if unread:
        found = read(unread)
        known.update((key, found.get(key, absent)) for key in unread)


def _principal_ids(persons: Iterable[Person]) -> list[str]:
    """The principals of the family members among these persons (whose answers name them)."""
    return [
        person.principal_id
        for person in persons
        if person.category == FAMILY_MEMBER and person.principal_id is not None
    ]


class _Builder:
    """Builds the dicts of one answer, reading each related record at most once, and the
    records of all its matches together where it can (`read_households`, `read_people`): on
    Elasticsearch each read is a request, so an answer of 25 matches costs a few requests, not
    a few for each match.

    The dicts are written out by hand rather than through the pydantic models, which cost most of
    a lookup's CPU when validated on every request; their keys follow the models' field order, and
    tests/lookup/answers/test_answer_shapes.py validates real answers against the models so the two
    cannot drift.
    """

    def __init__(self, snapshot: Snapshot, ctx: AnswerContext, shown: Shown | None) -> None:
        self.snapshot = snapshot
        self.ctx = ctx
        self.shown = shown
        self._persons: dict[str, Person | None] = {}
        self._missions: dict[str, Mission | None] = {}
        self._families: dict[str, list[Person]] = {}
        self._licences: dict[str, License | None] = {}
        self._reported: dict[str, int] = {}

    def read_households(self, vehicles: Sequence[Vehicle]) -> None:
        """Read what the matches of these vehicles show, one read per kind for them all: the
        registrants, their principals, families, missions, licences and reported points (a
        mission's members are read per mission, in `plate_match`)."""
        self.read_persons(v.owner_person_id for v in vehicles if v.owner_person_id)
        owners = [
            owner
            for vehicle in vehicles
            if vehicle.owner_person_id and (owner := self._persons[vehicle.owner_person_id])
        ]
        self.read_persons(_principal_ids(owners))
        heads = [self.principal_of(owner) or owner for owner in owners]
        unread = [p for p in dict.fromkeys(h.person_id for h in heads) if p not in self._families]
        if unread:
            self._families.update(self.snapshot.families_of(unread))
        people = [*owners, *heads, *(m for head in heads for m in self._families[head.person_id])]
        # The missions of the people and of the mission-registered cars, in one read.
        fleets = [v.owner_mission_id for v in vehicles if v.owner_mission_id]
        self.read_missions([*fleets, *(person.mission_id for person in people)])
        self.read_people(people)

    def read_people(self, persons: Sequence[Person]) -> None:
        """Read what these persons' answers show, one read per kind: their principals,
        missions, licences and the points reported against those licences."""
        self.read_principals_and_missions(persons)
        self.read_reported_points(list(self.licences_of(persons)))

    def read_principals_and_missions(self, persons: Sequence[Person]) -> None:
        """Read these persons' principals and missions, one read per kind."""
        self.know(persons)
        self.read_persons(_principal_ids(persons))
        self.read_missions(person.mission_id for person in persons)

    def know(self, persons: Iterable[Person]) -> None:
        """Persons read already (a family, a mission's members) are not read again."""
        for person in persons:
            self._persons.setdefault(person.person_id, person)

    def read_persons(self, person_ids: Iterable[str]) -> None:
        _read_unread(self._persons, person_ids, self.snapshot.persons_by_id, None)

    def read_missions(self, mission_ids: Iterable[str]) -> None:
        _read_unread(self._missions, mission_ids, self.snapshot.missions_by_id, None)

    def get_person(self, person_id: str) -> Person | None:
        if person_id not in self._persons:
            self._persons[person_id] = self.snapshot.get_person(person_id)
        return self._persons[person_id]

    def get_mission(self, mission_id: str) -> Mission | None:
        if mission_id not in self._missions:
            self._missions[mission_id] = self.snapshot.get_mission(mission_id)
        return self._missions[mission_id]

    def principal_of(self, person: Person) -> Person | None:
        if person.category != FAMILY_MEMBER or person.principal_id is None:
            return None
        return self.get_person(person.principal_id)

    def licence_of(self, person: Person) -> License | None:
        return self.licences_of([person]).get(person.person_id)

    def licences_of(self, persons: Sequence[Person]) -> dict[str, License]:
        """The licence of each of these persons who holds one; those not read yet, together."""
        _read_unread(
            self._licences, (p.person_id for p in persons), self.snapshot.licenses_of, None
        )
        return {
            person.person_id: licence
            for person in persons
            if (licence := self._licences[person.person_id]) is not None
        }

    def family(self, head: Person) -> list[Person]:
        if head.person_id not in self._families:
            self._families[head.person_id] = self.snapshot.family_of(head.person_id)
        return self._families[head.person_id]

    def read_reported_points(self, person_ids: Sequence[str]) -> None:
        """Points from incident reports of these persons, in one read for the whole answer."""
        source = self.ctx.reported_points
        if source is None:
            return
        published_at, today = self.snapshot.info.published_at, self.ctx.today
        _read_unread(self._reported, person_ids, lambda ids: source(ids, published_at, today), 0)

    def licence(self, licence: License) -> dict[str, Any]:
        """The one place a licence answer is built: its points include those from reports."""
        self.read_reported_points([licence.person_id])
        return _licence(licence, self.ctx, self._reported.get(licence.person_id, 0))

    def immunity(
        self, person: Person, principal: Person | None, accreditation: Accreditation
    ) -> Immunity:
        return derive_immunity(
            person,
            principal,
            matrix=self.ctx.matrix,
            today=self.ctx.today,
            verify_phone=self.ctx.verify_phone,
            accreditation=accreditation,
        )

    def person(self, person: Person, licence: License | None) -> dict[str, Any]:
        """One person's answer; `licence` is the person's licence (None: holds none)."""
        ctx = self.ctx
        today = ctx.today
        matrix = ctx.matrix
        principal = self.principal_of(person)
        accreditation = accreditation_on(person, today)
        credential = credential_on(person, today)
        travel = travel_on(person, today)
        mission = self.get_mission(person.mission_id)
        immunity = self.immunity(person, principal, accreditation)
        if self.shown is not None:
            self.shown.levels.append(immunity.level)
        answer: dict[str, Any] = {
            "person_id": person.person_id,
            "name": display_name(person),
            "family_name": person.family_name,
            "given_names": person.given_names,
        }
        # An absent key rather than a null (see PersonOut.date_of_birth).
        if ctx.include_date_of_birth and person.date_of_birth is not None:
            answer["date_of_birth"] = person.date_of_birth.isoformat()
        answer.update(
            mission=_mission(mission) if mission else None,
            title=person.title,
            category=person.category,
            category_label=matrix.category_label(person.category),
            us_national_or_resident=person.us_national_or_resident,
            immunity=_immunity(matrix, immunity),
            principal=(
                {
                    "person_id": principal.person_id,
                    "name": display_name(principal),
                    "category": principal.category,
                    "category_label": matrix.category_label(principal.category),
                }
                if principal
                else None
            ),
            accreditation={
                "status": accreditation.status,
                "recorded_status": accreditation.recorded_status,
                "label": accreditation.label,
                "start": _day(accreditation.start),
                "end": _day(accreditation.end),
            },
            credential=(
                {
                    "number": credential.number,
                    "type": credential.type,
                    "type_label": credential.type_label,
                    "status": credential.status,
                    "recorded_status": credential.recorded_status,
                    "label": credential.label,
                    "expiry": _day(credential.expiry),
                    "notes": list(credential.notes),
                }
                if credential
                else None
            ),
            license=self.licence(licence) if licence else None,
            travel_control={
                "regime": travel.regime,
                "zone": travel.zone,
                "zone_label": travel.zone_label,
                "notice_until": _day(travel.notice_until),
                "covers_today": travel.covers_today,
                "label": travel.label,
            },
            flags=list(person.flags),
        )
        return answer

    def plate_match(self, match: PlateMatch) -> dict[str, Any]:
        vehicle = match.vehicle
        registrant: dict[str, Any]
        persons: list[Person]
        owner: Person | None = None
        truncated = False
        immune_rule: str | None = None
        if vehicle.owner_person_id is not None:
            owner = self.get_person(vehicle.owner_person_id)
            persons = self.household(owner) if owner else []
            if owner is None:
                registrant = {"missing": "person"}
        else:
            mission_id = vehicle.owner_mission_id
            mission = self.get_mission(mission_id) if mission_id else None
            if mission:
                registrant = {"mission": _mission(mission)}
                limit = self.ctx.members_limit
                members = self.snapshot.members_of(mission.mission_id, limit=limit + 1)
                persons, truncated = members[:limit], len(members) > limit
                self.know(persons)
                note = self.ctx.matrix.vehicle_rule(mission_type=mission.mission_type)
                immune_rule = note.text if note else None
            else:
                registrant, persons = {"missing": "mission"}, []
        # Every licence shown, in one read; the household lists the registrant first, so the
        # registrant's answer is built once and reused as the first person.
        licences = self.licences_of(persons)
        self.read_reported_points(list(licences))
        persons_out = [self.person(p, licences.get(p.person_id)) for p in persons]
        if owner is not None:
            registrant = {"person": persons_out[0]}
            note = self.ctx.matrix.vehicle_rule(level=persons_out[0]["immunity"]["level"])
            immune_rule = note.text if note else None
        return {
            "match": match.match,
            "score": float(match.score),
            "substitutions": _substitutions(match.substitutions),
            "vehicle": self.vehicle(vehicle, immune_rule),
            "registrant": registrant,
            "persons": persons_out,
            "persons_truncated": truncated,
            "notice": PLATE_NOTICE,
        }

    def household(self, owner: Person) -> list[Person]:
        """The registrant first, then their principal (for a family member) and the family."""
        head = self.principal_of(owner) or owner
        people = [owner, head, *self.family(head)]
        seen: set[str] = set()
        unique = []
        for person in people:
            if person.person_id not in seen:
                seen.add(person.person_id)
                unique.append(person)
        return unique

    def vehicle(self, vehicle: Vehicle, immune_rule: str | None) -> dict[str, Any]:
        ctx = self.ctx
        registration = registration_on(vehicle, ctx.today)
        insurance = insurance_on(vehicle, ctx.today, ctx.insurance)
        if self.shown is not None and self.shown.insurance is None:
            self.shown.insurance = insurance.status
        minimum = insurance.minimum
        return {
            "plate": vehicle.plate,
            "vin": vehicle.vin,
            "make": vehicle.make,
            "model": vehicle.model,
            "year": vehicle.year,
            "color": vehicle.color,
            "vehicle_type": vehicle.vehicle_type,
            "registration": {
                "status": registration.status,
                "recorded_status": registration.recorded_status,
                "label": registration.label,
                "expiry": _day(registration.expiry),
                "may_confiscate_plates": registration.may_confiscate_plates,
                "notes": list(registration.notes),
            },
            "insurance": {
                "status": insurance.status,
                "label": insurance.label,
                "may_be_driven": insurance.may_be_driven,
                "insurer": vehicle.insurer,
                "policy_number": vehicle.policy_number,
                "effective": _day(vehicle.policy_effective),
                "expiry": _day(vehicle.policy_expiry),
                "cancelled": vehicle.policy_cancelled,
                "days_left": insurance.days_left,
                "coverage": {
                    "csl": vehicle.coverage_csl,
                    "bi_person": vehicle.coverage_bi_person,
                    "bi_accident": vehicle.coverage_bi_accident,
                    "pd": vehicle.coverage_pd,
                },
                "minimum": (
                    {
                        "csl": minimum.csl,
                        "bi_person": minimum.bi_person,
                        "bi_accident": minimum.bi_accident,
                        "pd": minimum.pd,
                    }
                    if minimum
                    else None
                ),
                "meets_minimum": insurance.meets_minimum,
                "notes": list(insurance.notes),
            },
            "immune_vehicle_rule": immune_rule,
        }


def _day(value: date | None) -> str | None:
    """Dates go on the wire as ISO `YYYY-MM-DD` strings."""
    return value.isoformat() if value is not None else None


def _immunity(matrix: ImmunityMatrix, immunity: Immunity) -> dict[str, Any]:
    return {
        "level": immunity.level,
        "label": matrix.levels[immunity.level].label,
        "basis": immunity.basis,
        "basis_code": immunity.basis_code,
        # Copies: the immunity's mappings are the matrix's, shared by every answer (and a
        # read-only view copies as fast as a dict, where dict(view) goes key by key).
        "actions": immunity.actions.copy(),
        "actions_text": immunity.actions_text.copy(),
        "family": immunity.family,
        "family_text": matrix.family[immunity.family] if immunity.family else None,
        "notes": list(immunity.notes),
        "summary": immunity.summary,
        "footnotes": [{"code": f.code, "text": f.text} for f in immunity.footnotes],
    }


def _actions_text(matrix: ImmunityMatrix, actions: Mapping[str, str]) -> dict[str, str]:
    return {code: matrix.action_text(code, actions[code]) for code in ACTION_CODES}


def _mission(mission: Mission) -> dict[str, Any]:
    return {
        "mission_id": mission.mission_id,
        "name": mission.name,
        "country": mission.country,
        "mission_type": mission.mission_type,
        "city": mission.city,
        "state": mission.state,
        "phone": mission.phone,
    }


def _licence(licence: License, ctx: AnswerContext, points_from_reports: int) -> dict[str, Any]:
    status = licence_on(licence, ctx.today, ctx.points, points_from_reports)
    return {
        "license_number": licence.license_number,
        "license_class": licence.license_class,
        "restrictions": licence.restrictions,
        "status": status.status,
        "recorded_status": status.recorded_status,
        "label": status.label,
        "may_drive": status.may_drive,
        "issued": _day(licence.issued),
        "expiry": _day(licence.expiry),
        "points": status.points,
        "points_from_reports": status.points_from_reports,
        "points_alert": status.points_alert,
        "notes": list(status.notes),
    }
