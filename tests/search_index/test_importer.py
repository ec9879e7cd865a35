"""The import files' validation: every kind of problem, reported as FILE:LINE: FIELD: message."""

from __future__ import annotations

import csv
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search_index.importer import ImportFailed, load_directory
from tests.factories import small_dataset, write_dataset_csv

# Line numbers in the files written from small_dataset() (line 1 is the header):
# persons.csv  2 P-0001 diplomat, 3 P-0002 spouse, 4 P-0003 child, 5 P-0004 consul, 6 P-0005
# vehicles.csv 2 DVL1234, 3 DVLI234, 4 DVLIZ34, 5 CCR0581 (mission-owned), 6 DVL77
# licenses.csv 2 OFM100200 (P-0001), 3 OFM100201 (P-0004), 4 OFM100202 (P-0005)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    return write_dataset_csv(small_dataset(), tmp_path / "set")


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> None:
    columns = columns or list(rows[0])
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def edit(directory: Path, file_name: str, line: int, changes: dict[str, str]) -> None:
    """Change cells of the row on `line` (2 = first data row)."""
    rows = read(directory / file_name)
    rows[line - 2].update(changes)
    write(directory / file_name, rows)


def append(directory: Path, file_name: str, line: int, changes: dict[str, str]) -> None:
    """Append a copy of the row on `line` with some cells changed."""
    rows = read(directory / file_name)
    rows.append({**rows[line - 2], **changes})
    write(directory / file_name, rows)


def errors_of(directory: Path) -> list[str]:
    with pytest.raises(ImportFailed) as failed:
        load_directory(directory)
    assert failed.value.errors
    return failed.value.errors


def test_a_valid_set_loads_into_the_same_records(files: Path) -> None:
    assert load_directory(files) == small_dataset()


def test_formatting_is_tolerated(files: Path) -> None:
    """A BOM, blank lines, padded cells, every boolean spelling, formatted keys."""
    edit(
        files,
        "persons.csv",
        3,
        {"us_national_or_resident": "YES", "credential_number": "da 123-457"},
    )
    edit(files, "persons.csv", 2, {"family_name": "  Ostrander  ", "us_national_or_resident": "0"})
    edit(files, "vehicles.csv", 2, {"plate": "dvl 1234", "policy_cancelled": "no"})
    edit(files, "vehicles.csv", 6, {"policy_cancelled": "1"})
    text = (files / "missions.csv").read_text(encoding="utf-8")
    (files / "missions.csv").write_text("\ufeff" + text + "\n\n", encoding="utf-8")
    assert load_directory(files) == small_dataset()


@pytest.mark.parametrize(
    ("name", "line", "changes", "expected"),
    [
        # required values
        ("missions.csv", 2, {"name": ""}, "missions.csv:2: name: required"),
        ("persons.csv", 2, {"family_name": " "}, "persons.csv:2: family_name: required"),
        ("persons.csv", 2, {"family_name": "-"}, "persons.csv:2: family_name: has no letters"),
        (
            "vehicles.csv",
            2,
            {"registration_status": ""},
            "vehicles.csv:2: registration_status: required",
        ),
        ("licenses.csv", 3, {"status": ""}, "licenses.csv:3: status: required"),
        # enumerations
        (
            "missions.csv",
            3,
            {"mission_type": "consulate"},
            "missions.csv:3: mission_type: must be one of",
        ),
        (
            "persons.csv",
            2,
            {"accreditation_status": "Active"},
            "persons.csv:2: accreditation_status: must be one of",
        ),
        (
            "persons.csv",
            2,
            {"credential_type": "blue"},
            "persons.csv:2: credential_type: must be one of",
        ),
        (
            "persons.csv",
            2,
            {"credential_status": "void"},
            "persons.csv:2: credential_status: must be one of",
        ),
        ("persons.csv", 5, {"travel_zone": "la"}, "persons.csv:5: travel_zone: must be one of"),
        (
            "persons.csv",
            5,
            {"travel_control": "banned"},
            "persons.csv:5: travel_control: must be one of",
        ),
        (
            "persons.csv",
            5,
            {"immunity_override": "partial"},
            "persons.csv:5: immunity_override: must be one of",
        ),
        (
            "vehicles.csv",
            2,
            {"vehicle_type": "truck"},
            "vehicles.csv:2: vehicle_type: must be one of",
        ),
        (
            "vehicles.csv",
            2,
            {"registration_status": "lost"},
            "vehicles.csv:2: registration_status: must be one of",
        ),
        ("licenses.csv", 2, {"status": "ok"}, "licenses.csv:2: status: must be one of"),
        (
            "persons.csv",
            6,
            {"category": "chauffeur"},
            "persons.csv:6: category: unknown category code 'chauffeur'",
        ),
        # types
        (
            "persons.csv",
            2,
            {"date_of_birth": "12/04/1975"},
            "persons.csv:2: date_of_birth: must be a date YYYY-MM-DD",
        ),
        (
            "persons.csv",
            2,
            {"date_of_birth": "1975-4-12"},
            "persons.csv:2: date_of_birth: must be a date YYYY-MM-DD",
        ),
        (
            "vehicles.csv",
            2,
            {"policy_expiry": "2027-02-30"},
            "vehicles.csv:2: policy_expiry: must be a date YYYY-MM-DD",
        ),
        (
            "persons.csv",
            2,
            {"us_national_or_resident": "maybe"},
            "persons.csv:2: us_national_or_resident: must be true/false",
        ),
        (
            "vehicles.csv",
            6,
            {"policy_cancelled": "y"},
            "vehicles.csv:6: policy_cancelled: must be true/false",
        ),
        ("vehicles.csv", 2, {"year": "2021.5"}, "vehicles.csv:2: year: must be a whole number"),
        (
            "vehicles.csv",
            2,
            {"year": "1850"},
            "vehicles.csv:2: year: must be between 1900 and 2100",
        ),
        (
            "vehicles.csv",
            2,
            {"coverage_csl": "$300,000"},
            "vehicles.csv:2: coverage_csl: must be a whole number",
        ),
        (
            "vehicles.csv",
            2,
            {"coverage_csl": "-5"},
            "vehicles.csv:2: coverage_csl: must be a whole number",
        ),
        ("licenses.csv", 2, {"points": "-1"}, "licenses.csv:2: points: must be a whole number"),
        ("licenses.csv", 2, {"points": "100"}, "licenses.csv:2: points: must be between 0 and 99"),
        # keys that must normalize
        ("vehicles.csv", 2, {"plate": "D"}, "vehicles.csv:2: plate: plate must have 2 to 8"),
        ("vehicles.csv", 2, {"plate": "DVL/1234"}, "vehicles.csv:2: plate: plate may hold only"),
        (
            "persons.csv",
            2,
            {"credential_number": "DA#1"},
            "persons.csv:2: credential_number: number may hold only",
        ),
        (
            "licenses.csv",
            2,
            {"license_number": "---"},
            "licenses.csv:2: license_number: number is empty",
        ),
        # rules between fields of one row
        (
            "persons.csv",
            3,
            {"principal_id": ""},
            "persons.csv:3: principal_id: required for a family_member",
        ),
        (
            "persons.csv",
            5,
            {"principal_id": "P-0001"},
            "persons.csv:5: principal_id: only a family_member has a principal",
        ),
        (
            "persons.csv",
            5,
            {"override_reason": ""},
            "persons.csv:5: override_reason: required with an immunity_override",
        ),
        (
            "persons.csv",
            2,
            {"override_reason": "because"},
            "persons.csv:2: override_reason: given without an immunity_override",
        ),
        (
            "persons.csv",
            4,
            {"credential_status": "valid"},
            "persons.csv:4: credential_status: given without a credential_number",
        ),
        (
            "persons.csv",
            5,
            {"travel_zone": ""},
            "persons.csv:5: travel_zone: required with travel_control notify",
        ),
        (
            "persons.csv",
            2,
            {"travel_control": "none", "travel_zone": "dc"},
            "persons.csv:2: travel_zone: given with travel_control none",
        ),
        (
            "persons.csv",
            2,
            {"accreditation_end": "2020-01-01"},
            "persons.csv:2: accreditation_end: is before accreditation_start",
        ),
        (
            "vehicles.csv",
            2,
            {"policy_expiry": "2024-01-01"},
            "vehicles.csv:2: policy_expiry: is before policy_effective",
        ),
        ("licenses.csv", 2, {"expiry": "2020-01-01"}, "licenses.csv:2: expiry: is before issued"),
        (
            "vehicles.csv",
            2,
            {"owner_mission_id": "M-VAL"},
            "vehicles.csv:2: owner_person_id: give exactly one",
        ),
        (
            "vehicles.csv",
            5,
            {"owner_mission_id": ""},
            "vehicles.csv:5: owner_person_id: give exactly one",
        ),
        # references between files
        (
            "persons.csv",
            2,
            {"mission_id": "M-XXX"},
            "persons.csv:2: mission_id: no mission 'M-XXX' in missions.csv",
        ),
        (
            "vehicles.csv",
            2,
            {"owner_person_id": "P-9999"},
            "vehicles.csv:2: owner_person_id: no person 'P-9999' in persons.csv",
        ),
        (
            "vehicles.csv",
            5,
            {"owner_mission_id": "M-XXX"},
            "vehicles.csv:5: owner_mission_id: no mission 'M-XXX' in missions.csv",
        ),
        (
            "licenses.csv",
            2,
            {"person_id": "P-9999"},
            "licenses.csv:2: person_id: no person 'P-9999' in persons.csv",
        ),
        (
            "persons.csv",
            3,
            {"principal_id": "P-9999"},
            "persons.csv:3: principal_id: no person 'P-9999' in persons.csv",
        ),
        (
            "persons.csv",
            4,
            {"principal_id": "P-0002"},
            "persons.csv:4: principal_id: 'P-0002' is itself a family_member",
        ),
    ],
)
def test_each_problem_is_reported_with_file_line_and_field(
    files: Path, name: str, line: int, changes: dict[str, str], expected: str
) -> None:
    edit(files, name, line, changes)
    errors = errors_of(files)
    assert any(error.startswith(expected) for error in errors), errors


@pytest.mark.parametrize(
    ("name", "line", "changes", "expected"),
    [
        ("missions.csv", 2, {}, "missions.csv:4: mission_id: duplicate 'M-VAL', first at line 2"),
        (
            "persons.csv",
            6,
            {"credential_number": ""},
            "persons.csv:7: person_id: duplicate 'P-0005'",
        ),
        (
            "persons.csv",
            6,
            {"person_id": "P-0006", "credential_number": "da-123.456"},
            "persons.csv:7: credential_number: duplicate 'DA123456' (after normalization)",
        ),
        (
            "vehicles.csv",
            2,
            {"plate": "d-v-l 1234"},
            "vehicles.csv:7: plate: duplicate 'DVL1234' (after normalization), first at line 2",
        ),
        (
            "vehicles.csv",
            2,
            {"plate": "ＤＶＬ１２３４"},
            "vehicles.csv:7: plate: duplicate 'DVL1234'",
        ),
        (
            "licenses.csv",
            2,
            {"person_id": "P-0002"},
            "licenses.csv:5: license_number: duplicate 'OFM100200'",
        ),
        (
            "licenses.csv",
            2,
            {"license_number": "OFM-9"},
            "licenses.csv:5: person_id: duplicate 'P-0001' (a person holds one licence)",
        ),
    ],
)
def test_unique_keys(
    files: Path, name: str, line: int, changes: dict[str, str], expected: str
) -> None:
    append(files, name, line, changes)
    errors = errors_of(files)
    assert any(error.startswith(expected) for error in errors), errors


def test_every_problem_in_every_file_is_reported_in_file_and_line_order(files: Path) -> None:
    edit(files, "vehicles.csv", 3, {"plate": "?"})
    edit(files, "persons.csv", 4, {"date_of_birth": "yesterday"})
    edit(files, "persons.csv", 2, {"category": "", "accreditation_status": "gone"})
    edit(files, "licenses.csv", 2, {"points": "many"})
    edit(files, "missions.csv", 3, {"country": ""})
    errors = errors_of(files)
    assert [e.split(":")[0:3] for e in errors] == [
        ["missions.csv", "3", " country"],
        ["persons.csv", "2", " category"],
        ["persons.csv", "2", " accreditation_status"],
        ["persons.csv", "4", " date_of_birth"],
        ["vehicles.csv", "3", " plate"],
        ["licenses.csv", "2", " points"],
    ]


def test_a_row_with_errors_does_not_cause_false_reference_errors(files: Path) -> None:
    """The diplomat's row is invalid, but the spouse, vehicle and licence that point at it are
    not reported: one mistake, one line."""
    edit(files, "persons.csv", 2, {"date_of_birth": "1975-13-01"})
    assert errors_of(files) == [
        "persons.csv:2: date_of_birth: must be a date YYYY-MM-DD (got '1975-13-01')"
    ]


def test_missing_file_and_directory(files: Path, tmp_path: Path) -> None:
    (files / "licenses.csv").unlink()
    assert errors_of(files) == ["licenses.csv:0: -: file not found"]
    with pytest.raises(ImportFailed) as failed:
        load_directory(tmp_path / "nowhere")
    assert failed.value.errors[0].endswith("nowhere:0: -: not a directory")


def test_header_problems(files: Path) -> None:
    rows = read(files / "persons.csv")
    columns = [c for c in rows[0] if c != "category"] + ["nickname"]
    for row in rows:
        del row["category"]
        row["nickname"] = ""
    write(files / "persons.csv", rows, columns)
    (files / "missions.csv").write_text("mission_id,name,name\n", encoding="utf-8")
    (files / "licenses.csv").write_text("", encoding="utf-8")
    assert errors_of(files) == [
        "missions.csv:1: country: required column missing",
        "missions.csv:1: mission_type: required column missing",
        "missions.csv:1: name: column appears twice",
        "persons.csv:1: category: required column missing",
        "persons.csv:1: nickname: unknown column",
        "licenses.csv:1: -: missing header row",
    ]


def test_malformed_rows_and_encoding(files: Path) -> None:
    with open(files / "vehicles.csv", "a", encoding="utf-8") as handle:
        handle.write("XY123,too,few\n")
    (files / "missions.csv").write_bytes(
        (files / "missions.csv").read_bytes() + b"M-BAD,Caf\xe9,X,embassy,,,\n"
    )
    errors = errors_of(files)
    assert "missions.csv:4: -: not valid UTF-8" in errors
    assert "vehicles.csv:7: -: expected 20 fields, found 3" in errors


def test_files_without_records(files: Path) -> None:
    rows = read(files / "persons.csv")
    write(files / "persons.csv", [], list(rows[0]))
    for name in ("vehicles.csv", "licenses.csv"):
        write(files / name, [], list(read(files / name)[0]))
    assert errors_of(files) == ["persons.csv:2: -: holds no records"]


LINE_FORMAT = re.compile(r"^(missions|persons|vehicles|licenses)\.csv:\d+: ([a-z_]+|-): \S.*$")


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["missions.csv", "persons.csv", "vehicles.csv", "licenses.csv"]),
            st.integers(0, 5),
            st.integers(0, 25),
            st.text(max_size=12),
        ),
        min_size=1,
        max_size=4,
    )
)
@settings(max_examples=60, deadline=None)
def test_any_cell_value_gives_records_or_formatted_problems(
    edits: list[tuple[str, int, int, str]],
) -> None:
    """Whatever lands in a cell, the import returns records or ImportFailed with one well-formed
    line per problem; it never crashes."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = write_dataset_csv(small_dataset(), Path(tmp))
        for file_name, row_index, column_index, value in edits:
            rows = read(directory / file_name)
            row = rows[row_index % len(rows)]
            column = list(row)[column_index % len(row)]
            row[column] = value
            write(directory / file_name, rows)
        problems: list[str] | None = None
        try:
            load_directory(directory)
        except ImportFailed as failed:
            problems = failed.errors
    if problems is not None:
        assert problems
        for problem in problems:
            assert LINE_FORMAT.match(problem), problem
