"""The OFM exports: six files, analysts only, each audited; GeoJSON valid by the RFC 7946 rules
and opened by GDAL's ogrinfo (skipped without it, a failure under CI=true); CSV in UTF-8 with
cells defused."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from lookup.audit.records import records
from lookup.ofm import geojson
from lookup.ofm.exports import EXPORTS
from lookup.store.base import AuditFilter
from search_index.records import Mission
from search_index.sqlite.backend import SQLiteSnapshot
from tests.browser import skip_or_fail
from tests.factories import CONSUL_ID, DIPLOMAT_LICENSE, MISSION_ID, SECOND_MISSION_ID
from tests.lookup.conftest import AgencyKeys, bearer
from tests.lookup.ofm.conftest import Ofm
from tests.lookup.ofm.geojson_schema import FEATURE_COLLECTION

URL = "/api/v1/ofm/exports"


def get(client: FlaskClient, key: str, name: str) -> Any:
    return client.get(f"{URL}/{name}", headers=bearer(key))


def file_incident(client: FlaskClient, key: str, **changes: Any) -> None:
    body: dict[str, Any] = {
        "occurred_at": "2026-11-20T08:15:00-05:00",
        "kind": "moving_violation",
        "subject": {"license_number": DIPLOMAT_LICENSE},
        "violation": "=HYPERLINK(1)",
        "location": {"latitude": 38.86, "longitude": -77.05, "description": "I-395 N"},
        "reporting_officer": {"name": "Sgt. Dana Ruiz", "badge": "4471"},
    } | changes
    assert client.post("/api/v1/incidents", json=body, headers=bearer(key)).status_code == 201


def geojson_of(response: Any) -> dict[str, Any]:
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    document: dict[str, Any] = json.loads(response.get_data(as_text=True))
    errors = [e.message for e in Draft202012Validator(FEATURE_COLLECTION).iter_errors(document)]
    assert errors == []
    return document


def test_the_schema_catches_latitude_first() -> None:
    wrong = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [38.9, -177.0]},
                "properties": {},
            }
        ],
    }
    assert list(Draft202012Validator(FEATURE_COLLECTION).iter_errors(wrong)) != []
    nested = {**wrong, "features": [{**wrong["features"][0], "properties": {"a": {"b": 1}}}]}
    assert list(Draft202012Validator(FEATURE_COLLECTION).iter_errors(nested)) != []


def test_missions_geojson(client: FlaskClient, ofm: Ofm) -> None:
    document = geojson_of(get(client, ofm.analyst_key, "missions.geojson"))
    features = {f["id"]: f for f in document["features"]}
    assert set(features) == {MISSION_ID, SECOND_MISSION_ID}
    placed = features[MISSION_ID]
    assert placed["geometry"] == {"type": "Point", "coordinates": [-77.0365, 38.91234]}
    assert placed["properties"]["mission_type"] == "embassy"
    assert placed["properties"]["vehicles"] == 12
    assert features[SECOND_MISSION_ID]["geometry"] is None  # no coordinates on record


def test_incidents_geojson_and_csv(client: FlaskClient, ofm: Ofm, metro: AgencyKeys) -> None:
    file_incident(client, metro.officer_key)
    file_incident(client, metro.officer_key, location=None, subject={"person_id": CONSUL_ID})
    document = geojson_of(get(client, ofm.analyst_key, "incidents.geojson"))
    geometries = sorted(
        (f["geometry"] or {}).get("coordinates", [None])[0] or 0 for f in document["features"]
    )
    assert geometries == [-77.05, 0]
    point = next(f for f in document["features"] if f["geometry"])
    assert point["properties"]["kind"] == "moving_violation"
    assert point["properties"]["violation"] == "=HYPERLINK(1)"  # JSON is data, not a sheet
    response = get(client, ofm.analyst_key, "incidents.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 2
    assert {r["violation"] for r in rows} == {"'=HYPERLINK(1)"}  # defused in the sheet


def test_csv_exports_have_headers_iso_dates_and_rows(client: FlaskClient, ofm: Ofm) -> None:
    missions = get(client, ofm.analyst_key, "missions.csv")
    assert missions.mimetype == "text/csv"
    assert missions.headers["Content-Disposition"].startswith('attachment; filename="missions-')
    rows = list(csv.DictReader(io.StringIO(missions.get_data(as_text=True))))
    by_id = {r["mission_id"]: r for r in rows}
    assert by_id[MISSION_ID]["latitude"] == "38.91234"
    assert by_id[MISSION_ID]["longitude"] == "'-77.0365"  # a leading minus is defused too
    assert len(by_id[MISSION_ID]["as_of"]) == 10
    compliance = get(client, ofm.analyst_key, "insurance-compliance.csv")
    header = compliance.get_data(as_text=True).splitlines()[0].split(",")
    assert header[:3] == ["as_of", "mission_id", "name"]
    travel = get(client, ofm.analyst_key, "travel-controls.csv")
    rows = list(csv.DictReader(io.StringIO(travel.get_data(as_text=True))))
    assert [(r["person_id"], r["travel_control"], r["travel_zone"]) for r in rows] == [
        (CONSUL_ID, "notify", "nyc")
    ]
    assert rows[0]["travel_notice_until"] == "2026-01-15"


def test_every_export_is_audited_and_for_analysts_only(
    app: Flask, client: FlaskClient, ofm: Ofm, metro: AgencyKeys
) -> None:
    for name in EXPORTS:
        assert get(client, ofm.analyst_key, name).status_code == 200, name
        assert get(client, metro.supervisor_key, name).status_code == 403, name
        assert get(client, ofm.officer_key, name).status_code == 403, name
        assert client.get(f"{URL}/{name}").status_code == 401, name
    with app.app_context():
        exported = [
            (r.action, r.outcome, r.query) for r in records(AuditFilter(agency_id=ofm.agency.id))
        ]
    assert sorted(q for a, o, q in exported if o == "match") == sorted(EXPORTS)
    assert all(a == "ofm_export" for a, _, _ in exported)


def test_an_unknown_export_is_404(client: FlaskClient, ofm: Ofm) -> None:
    response = get(client, ofm.analyst_key, "persons.csv")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("name", ["missions.geojson", "incidents.geojson"])
def test_gdal_opens_the_geojson(
    client: FlaskClient, ofm: Ofm, metro: AgencyKeys, tmp_path: Path, name: str
) -> None:
    """GDAL reads every feature, as points in longitude/latitude order (the extent lies in
    the District's longitudes, west of Greenwich)."""
    ogrinfo = shutil.which("ogrinfo")
    skip_or_fail(None if ogrinfo else "GDAL's ogrinfo is not installed (make system-deps)")
    assert ogrinfo is not None
    file_incident(client, metro.officer_key)
    path = tmp_path / name
    path.write_bytes(get(client, ofm.analyst_key, name).get_data())
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    result = subprocess.run(
        [ogrinfo, "-ro", "-al", "-so", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Geometry: Point" in result.stdout
    assert f"Feature Count: {len(features)}" in result.stdout
    extent = re.search(r"Extent: \((-?[\d.]+), (-?[\d.]+)\)", result.stdout)
    assert extent is not None, result.stdout
    assert -78 < float(extent[1]) < -76  # x: longitude
    assert 38 < float(extent[2]) < 40  # y: latitude


def test_a_feature_collection_streams_in_large_pieces() -> None:
    """A server writes each piece on its own: thousands of features go out in a few pieces of
    about geojson.CHUNK characters, which join into the whole collection."""
    features = (geojson.feature(f"F{n}", 38.9, -77.03, {"n": n}) for n in range(5000))
    pieces = list(geojson.feature_collection(features))
    document = json.loads("".join(pieces))
    assert [f["id"] for f in document["features"]] == [f"F{n}" for n in range(5000)]
    assert 2 <= len(pieces) <= 20
    assert all(len(piece) < geojson.CHUNK + 500 for piece in pieces)
    assert json.loads("".join(geojson.feature_collection([]))) == {
        "type": "FeatureCollection",
        "features": [],
    }


def test_mission_exports_read_the_missions_once(
    client: FlaskClient, ofm: Ofm, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The missions named by the compliance aggregate are the ones the export writes: one read."""
    calls: list[str] = []
    read = SQLiteSnapshot.missions

    def counted(self: SQLiteSnapshot) -> list[Mission]:
        calls.append("missions")
        return read(self)

    monkeypatch.setattr(SQLiteSnapshot, "missions", counted)
    for name in ("missions.csv", "missions.geojson", "insurance-compliance.csv"):
        calls.clear()
        response = get(client, ofm.analyst_key, name)
        assert response.status_code == 200
        assert response.get_data()
        assert calls == ["missions"], name
