"""Reads a directory of import CSV files (DESIGN.md "Import files") into a validated Dataset.

The whole set is checked before anything can be published: every problem in every file is
collected, and `ImportFailed` carries them all as `FILE:LINE: FIELD: message` lines, so an operator
fixes a file in one pass. Problems that concern a whole file or its header use line 1 (the header)
or line 0 (the file itself) and the field `-` when no column is concerned.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar, get_args

from search_index.normalize import normalize_identifier, normalize_name, normalize_plate
from search_index.progress import QUIET, Advance, Progress
from search_index.records import (
    FAMILY_MEMBER,
    PERSON_CATEGORIES,
    AccreditationStatus,
    CredentialStatus,
    CredentialType,
    Dataset,
    ImmunityOverride,
    License,
    LicenseStatus,
    Mission,
    MissionType,
    Person,
    RegistrationStatus,
    TravelControl,
    TravelZone,
    Vehicle,
    VehicleType,
)

MISSIONS = "missions.csv"
PERSONS = "persons.csv"
VEHICLES = "vehicles.csv"
LICENSES = "licenses.csv"

# Column name -> required. The order is the order demo_data writes.
# The persons file's `flags` column holds several values in one cell, separated by this.
FLAG_SEPARATOR = ";"

COLUMNS: dict[str, dict[str, bool]] = {
    MISSIONS: {
        "mission_id": True,
        "name": True,
        "country": True,
        "mission_type": True,
        "city": False,
        "state": False,
        "phone": False,
        "latitude": False,
        "longitude": False,
    },
    PERSONS: {
        "person_id": True,
        "mission_id": True,
        "family_name": True,
        "given_names": False,
        "date_of_birth": False,
        "title": False,
        "category": True,
        "principal_id": False,
        "us_national_or_resident": False,
        "immunity_override": False,
        "override_reason": False,
        "accreditation_status": True,
        "accreditation_start": False,
        "accreditation_end": False,
        "credential_number": False,
        "credential_type": False,
        "credential_expiry": False,
        "credential_status": False,
        "travel_control": False,
        "travel_zone": False,
        "travel_notice_until": False,
        "flags": False,
    },
    VEHICLES: {
        "plate": True,
        "vin": False,
        "make": False,
        "model": False,
        "year": False,
        "color": False,
        "vehicle_type": False,
        "owner_person_id": False,
        "owner_mission_id": False,
        "registration_status": True,
        "registration_expiry": False,
        "insurer": False,
        "policy_number": False,
        "policy_effective": False,
        "policy_expiry": False,
        "policy_cancelled": False,
        "coverage_csl": False,
        "coverage_bi_person": False,
        "coverage_bi_accident": False,
        "coverage_pd": False,
    },
    LICENSES: {
        "license_number": True,
        "person_id": True,
        "license_class": False,
        "restrictions": False,
        "status": True,
        "issued": False,
        "expiry": False,
        "points": False,
    },
}

_DECIMAL = re.compile(r"[+-]?[0-9]{1,3}(?:\.[0-9]{1,12})?")
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0", ""})
MAX_DOLLARS = 1_000_000_000
MAX_POINTS = 99

E = TypeVar("E", bound=str)


class ImportFailed(Exception):
    """The import set is invalid; `errors` lists every problem as `FILE:LINE: FIELD: message`."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the import files")
        self.errors = errors


def _has_name(value: str) -> bool:
    try:
        normalize_name(value)
    except ValueError:
        return False
    return True


def _show(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


@dataclass
class _Row:
    """One CSV row being read; each accessor records a problem instead of raising."""

    file: str
    line: int
    values: dict[str, str]
    errors: list[str]
    ok: bool = True

    def error(self, column: str, message: str) -> None:
        self.ok = False
        self.errors.append(f"{self.file}:{self.line}: {column}: {message}")

    def text(self, column: str) -> str | None:
        return self.values.get(column, "") or None

    def required(self, column: str) -> str | None:
        value = self.text(column)
        if value is None:
            self.error(column, "required")
        return value

    def enum(self, column: str, allowed: tuple[E, ...], *, required: bool = False) -> E | None:
        value = self.required(column) if required else self.text(column)
        if value is None:
            return None
        for option in allowed:
            if value == option:
                return option
        self.error(column, f"must be one of {', '.join(allowed)} (got {_show(value)})")
        return None

    def day(self, column: str) -> date | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            if len(value) != 10:
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.error(column, f"must be a date YYYY-MM-DD (got {_show(value)})")
            return None

    def boolean(self, column: str) -> bool:
        value = self.values.get(column, "").lower()
        if value in _TRUE:
            return True
        if value not in _FALSE:
            self.error(column, f"must be true/false, yes/no or 1/0 (got {_show(value)})")
        return False

    def degrees(self, column: str, limit: int) -> float | None:
        """Decimal degrees between -limit and limit (a plain decimal number: no exponent, no
        NaN or infinity, no degree sign)."""
        value = self.text(column)
        if value is None:
            return None
        if not _DECIMAL.fullmatch(value):
            self.error(column, f"must be decimal degrees like -77.0365 (got {_show(value)})")
            return None
        number = float(value)
        if not -limit <= number <= limit:
            self.error(column, f"must be between -{limit} and {limit} (got {value})")
            return None
        return number

    def integer(self, column: str, low: int, high: int) -> int | None:
        value = self.text(column)
        if value is None:
            return None
        if not (value.isascii() and value.isdigit()):
            self.error(column, f"must be a whole number (got {_show(value)})")
            return None
        number = int(value)
        if not low <= number <= high:
            self.error(column, f"must be between {low} and {high} (got {number})")
            return None
        return number

    def key(self, column: str, normalize: Callable[[str], str], *, required: bool) -> str | None:
        value = self.required(column) if required else self.text(column)
        if value is None:
            return None
        try:
            return normalize(value)
        except ValueError as exc:
            self.error(column, f"{exc} (got {_show(value)})")
            return None

    def not_before(self, start: str, end: str, first: date | None, last: date | None) -> None:
        if first is not None and last is not None and last < first:
            self.error(end, f"is before {start}")

    def refuse_given(self, columns: tuple[str, ...], why: str) -> None:
        """Columns that mean something only with another column's value: each one given is an
        error, `why` saying what it lacks."""
        for column in columns:
            if self.text(column) is not None:
                self.error(column, why)


@dataclass
class _Unique:
    """A column whose values must be unique within its file (after `normalize`, when given).
    Remembers where each key was first seen, to report duplicates with both lines."""

    column: str
    normalize: Callable[[str], str] | None = None
    note: str = ""  # said after a duplicate key, to explain the rule
    seen: dict[str, int] = field(default_factory=dict)

    def read(self, row: _Row, *, required: bool = True) -> str | None:
        """The row's key (None when it is missing or invalid, reported), checked against the
        rows before it."""
        if self.normalize is None:
            key = row.required(self.column) if required else row.text(self.column)
        else:
            key = row.key(self.column, self.normalize, required=required)
        if key is None:
            return None
        first = self.seen.setdefault(key, row.line)
        if first != row.line:
            row.error(self.column, f"duplicate {_show(key)}{self.note}, first at line {first}")
        return key


_NORMALIZED = " (after normalization)"


def _read_rows(directory: Path, name: str, errors: list[str]) -> Iterator[_Row] | None:
    """The rows of one file, or None when the file or its header is unusable (reported)."""
    path = directory / name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        errors.append(f"{name}:0: -: file not found")
        return None
    except OSError as exc:
        errors.append(f"{name}:0: -: cannot read the file ({exc.strerror})")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        errors.append(f"{name}:{line}: -: not valid UTF-8")
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration:
        errors.append(f"{name}:1: -: missing header row")
        return None
    except csv.Error as exc:
        errors.append(f"{name}:1: -: {exc}")
        return None
    columns = COLUMNS[name]
    header_ok = True
    for column in columns:
        if column not in header and columns[column]:
            errors.append(f"{name}:1: {column}: required column missing")
            header_ok = False
    seen: set[str] = set()
    for column in header:
        if column not in columns:
            errors.append(f"{name}:1: {column or '-'}: unknown column")
            header_ok = False
        elif column in seen:
            errors.append(f"{name}:1: {column}: column appears twice")
            header_ok = False
        seen.add(column)
    if not header_ok:
        return None
    return _rows(name, reader, header, errors)


def _rows(name: str, reader: Any, header: list[str], errors: list[str]) -> Iterator[_Row]:
    previous_end = reader.line_num
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(f"{name}:{previous_end + 1}: -: {exc}")
            return
        line = previous_end + 1
        previous_end = reader.line_num
        if not any(value.strip() for value in fields):
            continue
        if len(fields) != len(header):
            errors.append(f"{name}:{line}: -: expected {len(header)} fields, found {len(fields)}")
            continue
        values = {column: value.strip() for column, value in zip(header, fields, strict=True)}
        yield _Row(name, line, values, errors)


_FILE_ORDER = {name: index for index, name in enumerate(COLUMNS)}


def _error_order(error: str) -> tuple[int, int]:
    """File order of COLUMNS, then line; the sort is stable, so a row keeps its column order."""
    name, line, _ = error.split(":", 2)
    return (_FILE_ORDER.get(name, -1), int(line) if line.isdigit() else 0)


@dataclass
class _Reference:
    """A key that must exist in another file, checked once every file is read."""

    row_file: str
    line: int
    column: str
    key: str


def load_directory(path: Path | str, progress: Progress = QUIET) -> Dataset:
    """Parse and validate the four import files in `path` (one `validating` step per file, then
    the cross-file references); ImportFailed lists every problem."""
    directory = Path(path)
    errors: list[str] = []
    if not directory.is_dir():
        raise ImportFailed([f"{directory}:0: -: not a directory"])
    loader = _Loader(directory, errors)
    with progress.stage("validating", 5) as advance:
        dataset = loader.load(advance)
    if errors:
        raise ImportFailed(sorted(errors, key=_error_order))
    return dataset


class _Loader:
    def __init__(self, directory: Path, errors: list[str]) -> None:
        self.directory = directory
        self.errors = errors
        self.mission_ids: set[str] | None = None
        self.person_lines: dict[str, int] | None = None
        self.person_category: dict[str, str] = {}
        self.references: dict[str, list[_Reference]] = {"mission": [], "person": []}
        self.principals: list[_Reference] = []

    def load(self, advance: Advance) -> Dataset:
        missions = self._missions()
        advance(1)
        persons = self._persons()
        advance(1)
        vehicles = self._vehicles()
        advance(1)
        licenses = self._licenses()
        advance(1)
        self._check_references()
        advance(1)
        for name, records in ((MISSIONS, missions), (PERSONS, persons)):
            reported = any(error.startswith(f"{name}:") for error in self.errors)
            if records is not None and not records and not reported:
                self.errors.append(f"{name}:2: -: holds no records")
        return Dataset(
            missions=tuple(missions or ()),
            persons=tuple(persons or ()),
            vehicles=tuple(vehicles or ()),
            licenses=tuple(licenses or ()),
        )

    def _refer(self, kind: str, row: _Row, column: str, key: str | None) -> None:
        if key is not None:
            self.references[kind].append(_Reference(row.file, row.line, column, key))

    def _missions(self) -> list[Mission] | None:
        rows = _read_rows(self.directory, MISSIONS, self.errors)
        if rows is None:
            return None
        ids = _Unique("mission_id")
        self.mission_ids = set()
        missions = []
        for row in rows:
            mission_id = ids.read(row)
            if mission_id is not None:
                self.mission_ids.add(mission_id)
            name = row.required("name")
            country = row.required("country")
            mission_type = row.enum("mission_type", get_args(MissionType), required=True)
            latitude = row.degrees("latitude", 90)
            longitude = row.degrees("longitude", 180)
            if (latitude is None) != (longitude is None) and row.ok:
                missing = "longitude" if longitude is None else "latitude"
                row.error(missing, "give latitude and longitude together")
            if row.ok and mission_id and name and country and mission_type:
                missions.append(
                    Mission(
                        mission_id=mission_id,
                        name=name,
                        country=country,
                        mission_type=mission_type,
                        city=row.text("city"),
                        state=row.text("state"),
                        phone=row.text("phone"),
                        latitude=latitude,
                        longitude=longitude,
                    )
                )
        return missions

    def _persons(self) -> list[Person] | None:
        rows = _read_rows(self.directory, PERSONS, self.errors)
        if rows is None:
            return None
        ids = _Unique("person_id")
        credentials = _Unique("credential_number", normalize_identifier, _NORMALIZED)
        self.person_lines = {}
        persons = []
        for row in rows:
            person = self._person(row, ids, credentials)
            if person is not None:
                persons.append(person)
        return persons

    def _person(self, row: _Row, ids: _Unique, credentials: _Unique) -> Person | None:
        assert self.person_lines is not None
        person_id = ids.read(row)
        mission_id = row.required("mission_id")
        self._refer("mission", row, "mission_id", mission_id)
        family_name = row.required("family_name")
        if family_name is not None and not _has_name(family_name):
            row.error("family_name", "has no letters or digits")
        category = row.required("category")
        if category is not None and category != FAMILY_MEMBER and category not in PERSON_CATEGORIES:
            row.error("category", f"unknown category code {_show(category)}")
        if person_id is not None:
            self.person_lines.setdefault(person_id, row.line)
            if category is not None:
                self.person_category.setdefault(person_id, category)
        principal_id = row.text("principal_id")
        if category == FAMILY_MEMBER and principal_id is None:
            row.error("principal_id", "required for a family_member")
        elif category != FAMILY_MEMBER and principal_id is not None:
            row.error("principal_id", "only a family_member has a principal")
        elif principal_id is not None:
            self.principals.append(_Reference(row.file, row.line, "principal_id", principal_id))

        override = row.enum("immunity_override", get_args(ImmunityOverride))
        reason = row.text("override_reason")
        if override is not None and reason is None:
            row.error("override_reason", "required with an immunity_override")
        if override is None and reason is not None and row.text("immunity_override") is None:
            row.error("override_reason", "given without an immunity_override")

        accreditation = row.enum(
            "accreditation_status", get_args(AccreditationStatus), required=True
        )
        start, end = row.day("accreditation_start"), row.day("accreditation_end")
        row.not_before("accreditation_start", "accreditation_end", start, end)

        credential = credentials.read(row, required=False)
        credential_type = row.enum("credential_type", get_args(CredentialType))
        credential_expiry = row.day("credential_expiry")
        credential_status = row.enum("credential_status", get_args(CredentialStatus))
        if row.text("credential_number") is None:
            row.refuse_given(
                ("credential_type", "credential_expiry", "credential_status"),
                "given without a credential_number",
            )

        travel_control: TravelControl = (
            row.enum("travel_control", get_args(TravelControl)) or "none"
        )
        travel_zone = row.enum("travel_zone", get_args(TravelZone))
        notice_until = row.day("travel_notice_until")
        if travel_control != "none" and row.text("travel_zone") is None:
            row.error("travel_zone", f"required with travel_control {travel_control}")
        if travel_control == "none" and row.text("travel_control") is not None:
            row.refuse_given(
                ("travel_zone", "travel_notice_until"), "given with travel_control none"
            )

        flags = tuple(flag.strip() for flag in row.values.get("flags", "").split(FLAG_SEPARATOR))
        us_national = row.boolean("us_national_or_resident")
        date_of_birth = row.day("date_of_birth")
        if not (row.ok and person_id and mission_id and family_name and category):
            return None
        if accreditation is None:
            return None
        return Person(
            person_id=person_id,
            mission_id=mission_id,
            family_name=family_name,
            category=category,
            accreditation_status=accreditation,
            given_names=row.text("given_names"),
            date_of_birth=date_of_birth,
            title=row.text("title"),
            principal_id=principal_id,
            us_national_or_resident=us_national,
            immunity_override=override,
            override_reason=reason,
            accreditation_start=start,
            accreditation_end=end,
            credential_number=credential,
            credential_type=credential_type,
            credential_expiry=credential_expiry,
            credential_status=credential_status,
            travel_control=travel_control,
            travel_zone=travel_zone,
            travel_notice_until=notice_until,
            flags=tuple(flag for flag in flags if flag),
        )

    def _vehicles(self) -> list[Vehicle] | None:
        rows = _read_rows(self.directory, VEHICLES, self.errors)
        if rows is None:
            return None
        plates = _Unique("plate", normalize_plate, _NORMALIZED)
        vehicles = []
        for row in rows:
            plate = plates.read(row)
            owner_person = row.text("owner_person_id")
            owner_mission = row.text("owner_mission_id")
            if (owner_person is None) == (owner_mission is None):
                row.error(
                    "owner_person_id", "give exactly one of owner_person_id and owner_mission_id"
                )
            self._refer("person", row, "owner_person_id", owner_person)
            self._refer("mission", row, "owner_mission_id", owner_mission)
            status = row.enum("registration_status", get_args(RegistrationStatus), required=True)
            vehicle_type: VehicleType = row.enum("vehicle_type", get_args(VehicleType)) or "car"
            effective, expiry = row.day("policy_effective"), row.day("policy_expiry")
            row.not_before("policy_effective", "policy_expiry", effective, expiry)
            year = row.integer("year", 1900, 2100)
            registration_expiry = row.day("registration_expiry")
            cancelled = row.boolean("policy_cancelled")
            dollars = {
                column: row.integer(column, 0, MAX_DOLLARS)
                for column in (
                    "coverage_csl",
                    "coverage_bi_person",
                    "coverage_bi_accident",
                    "coverage_pd",
                )
            }
            if not (row.ok and plate and status):
                continue
            vehicles.append(
                Vehicle(
                    plate=plate,
                    registration_status=status,
                    owner_person_id=owner_person,
                    owner_mission_id=owner_mission,
                    vin=row.text("vin"),
                    make=row.text("make"),
                    model=row.text("model"),
                    year=year,
                    color=row.text("color"),
                    vehicle_type=vehicle_type,
                    registration_expiry=registration_expiry,
                    insurer=row.text("insurer"),
                    policy_number=row.text("policy_number"),
                    policy_effective=effective,
                    policy_expiry=expiry,
                    policy_cancelled=cancelled,
                    coverage_csl=dollars["coverage_csl"],
                    coverage_bi_person=dollars["coverage_bi_person"],
                    coverage_bi_accident=dollars["coverage_bi_accident"],
                    coverage_pd=dollars["coverage_pd"],
                )
            )
        return vehicles

    def _licenses(self) -> list[License] | None:
        rows = _read_rows(self.directory, LICENSES, self.errors)
        if rows is None:
            return None
        numbers = _Unique("license_number", normalize_identifier, _NORMALIZED)
        holders = _Unique("person_id", note=" (a person holds one licence)")
        licenses = []
        for row in rows:
            number = numbers.read(row)
            person_id = holders.read(row)
            self._refer("person", row, "person_id", person_id)
            status = row.enum("status", get_args(LicenseStatus), required=True)
            issued, expiry = row.day("issued"), row.day("expiry")
            row.not_before("issued", "expiry", issued, expiry)
            points = row.integer("points", 0, MAX_POINTS)
            if not (row.ok and number and person_id and status):
                continue
            licenses.append(
                License(
                    license_number=number,
                    person_id=person_id,
                    status=status,
                    license_class=row.text("license_class"),
                    restrictions=row.text("restrictions"),
                    issued=issued,
                    expiry=expiry,
                    points=points or 0,
                )
            )
        return licenses

    def _check_references(self) -> None:
        known = {"mission": self.mission_ids, "person": self.person_lines}
        target = {"mission": MISSIONS, "person": PERSONS}
        for kind, references in self.references.items():
            keys = known[kind]
            if keys is None:  # the target file itself failed; its errors are reported already
                continue
            for ref in references:
                if ref.key not in keys:
                    self.errors.append(
                        f"{ref.row_file}:{ref.line}: {ref.column}: "
                        f"no {kind} {_show(ref.key)} in {target[kind]}"
                    )
        for ref in self.principals:
            category = self.person_category.get(ref.key)
            if category is None and self.person_lines is not None and ref.key in self.person_lines:
                continue  # the principal's own row lacks a category; reported there
            if category is None:
                self.errors.append(
                    f"{ref.row_file}:{ref.line}: principal_id: no person {_show(ref.key)} "
                    f"in {PERSONS}"
                )
            elif category == FAMILY_MEMBER:
                self.errors.append(
                    f"{ref.row_file}:{ref.line}: principal_id: {_show(ref.key)} is itself a "
                    "family_member, not a principal"
                )
