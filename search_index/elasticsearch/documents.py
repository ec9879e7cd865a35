"""Records to Elasticsearch documents and back.

One index holds a whole published set; `kind` tells the record type. Each document carries the
full record under `record` (stored, not indexed: Elasticsearch returns it, it never searches it)
and, beside it, the few search fields, computed here in Python with the same functions the SQLite
backend uses, so both backends look up the same keys.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import date
from typing import Any, TypeVar

from search_index.confusables import confusable_key
from search_index.names import country_key
from search_index.normalize import indexed_name_words
from search_index.records import FAMILY_MEMBER, License, Mission, Person, PolicyGroup, Vehicle

Json = dict[str, Any]
R = TypeVar("R", Mission, Person, Vehicle, License)


def vehicle_id(plate: str) -> str:
    return f"vehicle:{plate}"


def person_id(pid: str) -> str:
    return f"person:{pid}"


def mission_id(mid: str) -> str:
    return f"mission:{mid}"


def license_id(number: str) -> str:
    return f"license:{number}"


def _record(obj: Mission | Person | Vehicle | License) -> Json:
    out: Json = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def _date_fields(cls: type) -> frozenset[str]:
    hints = typing.get_type_hints(cls)
    found = set()
    for name, hint in hints.items():
        args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        if date in args:
            found.add(name)
    return frozenset(found)


_DATES: dict[type, frozenset[str]] = {
    c: _date_fields(c) for c in (Mission, Person, Vehicle, License)
}


def from_record(cls: type[R], record: Json) -> R:
    values: Json = {}
    dates = _DATES[cls]
    for f in dataclasses.fields(cls):
        if f.name not in record:
            continue
        value = record[f.name]
        if value is not None and f.name in dates:
            value = date.fromisoformat(value)
        elif isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return cls(**values)


def _name_text(person: Person) -> str:
    return " ".join(p for p in (person.given_names, person.family_name) if p)


def mission_doc(m: Mission) -> Json:
    return {"kind": "mission", "mission_id": m.mission_id, "record": _record(m)}


def person_doc(p: Person, country: str | None, seq: int) -> Json:
    """`seq` is the person's position in the import file: lists of family and mission members
    keep file order, as on the SQLite backend."""
    words = indexed_name_words(f"{p.given_names or ''} {p.family_name}")
    return {
        "kind": "person",
        "seq": seq,
        "person_id": p.person_id,
        "mission_id": p.mission_id,
        "principal_id": p.principal_id,
        "is_family": p.category == FAMILY_MEMBER,
        "country_key": country_key(country or ""),
        "credential_number": p.credential_number,
        "credential_key": confusable_key(p.credential_number) if p.credential_number else None,
        "name": _name_text(p),
        "name_words": sorted(set(words)),
        "name_key": " ".join(words),
        "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else None,
        "travel_control": p.travel_control,
        "travel_zone": p.travel_zone,
        "record": _record(p),
    }


def vehicle_doc(v: Vehicle, fleet_mission_id: str | None) -> Json:
    """`fleet_mission_id`: the mission the vehicle is registered to, or its owner's mission."""
    return {
        "kind": "vehicle",
        "plate": v.plate,
        "plate_key": confusable_key(v.plate),
        "plate_length": len(v.plate),
        "owner_person_id": v.owner_person_id,
        "owner_mission_id": v.owner_mission_id,
        "fleet_mission_id": fleet_mission_id,
        "policy_facts": policy_facts(v),
        "policy_expiry": _iso(v.policy_expiry),
        "record": _record(v),
    }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def policy_facts(v: Vehicle) -> str:
    """The facts a PolicyGroup shares, as one keyword: a composite aggregation on the fleet and
    this value counts the groups in one pass, whatever the facts' types."""
    facts = [
        v.vehicle_type,
        v.policy_identified,
        _iso(v.policy_effective),
        _iso(v.policy_expiry),
        v.policy_cancelled,
        v.coverage_csl,
        v.coverage_bi_person,
        v.coverage_bi_accident,
        v.coverage_pd,
    ]
    return json.dumps(facts, separators=(",", ":"))


def policy_group(mission_id: str, vehicles: int, facts: str) -> PolicyGroup:
    """The group a `policy_facts` bucket of `vehicles` documents stands for."""
    kind, identified, effective, expiry, cancelled, csl, bi_person, bi_accident, pd = json.loads(
        facts
    )
    return PolicyGroup(
        mission_id=mission_id,
        vehicles=vehicles,
        vehicle_type=kind,
        policy_identified=identified,
        policy_effective=None if effective is None else date.fromisoformat(effective),
        policy_expiry=None if expiry is None else date.fromisoformat(expiry),
        policy_cancelled=cancelled,
        coverage_csl=csl,
        coverage_bi_person=bi_person,
        coverage_bi_accident=bi_accident,
        coverage_pd=pd,
    )


def license_doc(lic: License) -> Json:
    return {
        "kind": "license",
        "license_number": lic.license_number,
        "license_key": confusable_key(lic.license_number),
        "person_id": lic.person_id,
        "record": _record(lic),
    }
