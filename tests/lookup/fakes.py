"""A small in-memory Snapshot for answer tests: the protocol's reads over plain lists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from search_index.records import (
    DatasetInfo,
    License,
    Mission,
    NumberMatch,
    Person,
    PersonHit,
    PlateMatch,
    Vehicle,
)


class FakeSnapshot:
    """Implements search_index.backend.Snapshot. Plate and name search are exact-only: answer
    tests hand their PlateMatch values in directly."""

    def __init__(
        self,
        *,
        missions: Iterable[Mission] = (),
        persons: Iterable[Person] = (),
        vehicles: Iterable[Vehicle] = (),
        licenses: Iterable[License] = (),
    ) -> None:
        self.missions = {m.mission_id: m for m in missions}
        self.persons = {p.person_id: p for p in persons}
        self.vehicles = {v.plate: v for v in vehicles}
        self.licenses = {lic.license_number: lic for lic in licenses}
        self.info = DatasetInfo("fake", datetime(2026, 1, 1, tzinfo=UTC), {})
        self.calls: list[str] = []

    def find_plate(self, typed: str, *, limit: int = 10) -> list[PlateMatch]:
        vehicle = self.vehicles.get(typed.upper())
        return [PlateMatch("exact", 1.0, vehicle)] if vehicle else []

    def find_plate_pattern(self, pattern: str, *, limit: int = 25) -> list[PlateMatch]:
        raise NotImplementedError("not used by answer tests")

    def get_vehicle(self, plate: str) -> Vehicle | None:
        return self.vehicles.get(plate)

    def get_person(self, person_id: str) -> Person | None:
        self.calls.append(f"get_person:{person_id}")
        return self.persons.get(person_id)

    def get_mission(self, mission_id: str) -> Mission | None:
        self.calls.append(f"get_mission:{mission_id}")
        return self.missions.get(mission_id)

    def persons_by_id(self, person_ids: Sequence[str]) -> dict[str, Person]:
        self.calls.append(f"persons_by_id:{','.join(person_ids)}")
        return {p: self.persons[p] for p in person_ids if p in self.persons}

    def missions_by_id(self, mission_ids: Sequence[str]) -> dict[str, Mission]:
        self.calls.append(f"missions_by_id:{','.join(mission_ids)}")
        return {m: self.missions[m] for m in mission_ids if m in self.missions}

    def find_credential(self, number: str) -> Person | None:
        return next((p for p in self.persons.values() if p.credential_number == number), None)

    def find_license(self, number: str) -> License | None:
        return self.licenses.get(number)

    def find_credentials(self, typed: str, *, limit: int = 10) -> list[NumberMatch[Person]]:
        person = self.find_credential(typed)
        return [NumberMatch("exact", 1.0, person)] if person else []

    def find_licenses(self, typed: str, *, limit: int = 10) -> list[NumberMatch[License]]:
        licence = self.find_license(typed)
        return [NumberMatch("exact", 1.0, licence)] if licence else []

    def licenses_of(self, person_ids: Sequence[str]) -> dict[str, License]:
        self.calls.append(f"licenses_of:{','.join(person_ids)}")
        wanted = set(person_ids)
        found: dict[str, License] = {}
        for lic in sorted(self.licenses.values(), key=lambda lic: lic.license_number):
            if lic.person_id in wanted:
                found.setdefault(lic.person_id, lic)  # the lowest number, as the backends
        return found

    def family_of(self, person_id: str) -> list[Person]:
        self.calls.append(f"family_of:{person_id}")
        return [p for p in self.persons.values() if p.principal_id == person_id]

    def families_of(self, person_ids: Sequence[str]) -> dict[str, list[Person]]:
        self.calls.append(f"families_of:{','.join(person_ids)}")
        return {
            head: [p for p in self.persons.values() if p.principal_id == head]
            for head in person_ids
        }

    def members_of(self, mission_id: str, *, limit: int = 50) -> list[Person]:
        members = [p for p in self.persons.values() if p.mission_id == mission_id]
        members.sort(key=lambda p: p.principal_id is not None)
        return members[:limit]

    def vehicles_of_person(self, person_id: str) -> list[Vehicle]:
        return [v for v in self.vehicles.values() if v.owner_person_id == person_id]

    def search_persons(
        self,
        name: str,
        *,
        date_of_birth: date | None = None,
        country: str | None = None,
        limit: int = 20,
    ) -> list[PersonHit]:
        wanted = name.casefold()
        return [
            PersonHit(p, 1.0) for p in self.persons.values() if p.family_name.casefold() == wanted
        ][:limit]
