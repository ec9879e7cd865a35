"""missions.csv `latitude` and `longitude`: optional, given together, decimal degrees in range."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from search_index.importer import load_directory
from search_index.sqlite.backend import SQLiteBackend
from tests.factories import MISSION_ID, small_dataset, write_dataset_csv
from tests.search_index.test_importer import edit, errors_of


@pytest.fixture
def files(tmp_path: Path) -> Path:
    return write_dataset_csv(small_dataset(), tmp_path / "set")


def test_coordinates_load_and_round_trip(files: Path, tmp_path: Path) -> None:
    edit(files, "missions.csv", 2, {"latitude": "38.91234", "longitude": "-77.0365"})
    edit(files, "missions.csv", 3, {"latitude": "+40.7", "longitude": "-73.98"})
    dataset = load_directory(files)
    first = next(m for m in dataset.missions if m.mission_id == MISSION_ID)
    assert (first.latitude, first.longitude) == (38.91234, -77.0365)
    backend = SQLiteBackend(tmp_path / "data")
    backend.publish(dataset)
    with backend.snapshot() as snap:
        assert snap.get_mission(MISSION_ID) == first
    backend.close()


def test_coordinates_stay_optional(files: Path) -> None:
    assert all(m.latitude is None and m.longitude is None for m in load_directory(files).missions)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"latitude": "90.5", "longitude": "0"}, "latitude: must be between -90 and 90"),
        ({"latitude": "0", "longitude": "-180.01"}, "longitude: must be between -180 and 180"),
        ({"latitude": "nan", "longitude": "1"}, "latitude: must be decimal degrees"),
        ({"latitude": "1e1", "longitude": "1"}, "latitude: must be decimal degrees"),
        ({"latitude": "38°", "longitude": "1"}, "latitude: must be decimal degrees"),
        ({"latitude": "1", "longitude": "inf"}, "longitude: must be decimal degrees"),
        ({"latitude": "38.9"}, "longitude: give latitude and longitude together"),
        ({"longitude": "-77"}, "latitude: give latitude and longitude together"),
    ],
)
def test_bad_coordinates_are_named(files: Path, changes: dict[str, str], expected: str) -> None:
    edit(files, "missions.csv", 2, changes)
    errors = errors_of(files)
    assert len(errors) == 1
    assert errors[0].startswith("missions.csv:2: ")
    assert expected in errors[0]


def test_demo_missions_sit_near_their_city(tmp_path: Path) -> None:
    from search_index.demo_data import _CITY_CENTRES, write_demo_data

    write_demo_data(tmp_path / "demo", scale="small", seed=2, today=date(2026, 6, 1))
    missions = load_directory(tmp_path / "demo").missions
    assert missions
    for mission in missions:
        assert mission.city is not None
        assert mission.latitude is not None
        assert mission.longitude is not None
        centre_lat, centre_lon = _CITY_CENTRES[mission.city]
        assert abs(mission.latitude - centre_lat) <= 0.04
        assert abs(mission.longitude - centre_lon) <= 0.05
    assert len({(m.latitude, m.longitude) for m in missions}) > len(missions) // 2
