"""IMMUNITY_MATRIX_PATH: one setting moves the answers, the public matrix and the outreach page."""

from __future__ import annotations

from pathlib import Path

import yaml
from flask import Flask

from lookup.rules.immunity import DEFAULT_MATRIX_PATH
from tests.factories import DIPLOMAT_CREDENTIAL
from tests.lookup.conftest import AppFactory, agency_with_keys, bearer

CHANGED_LABEL = "Diplomatic agent (changed in a test copy)"


def _changed_copy(tmp_path: Path) -> Path:
    raw = yaml.safe_load(DEFAULT_MATRIX_PATH.read_text(encoding="utf-8"))
    for row in raw["categories"]:
        if row["code"] == "diplomatic_agent":
            row["label"] = CHANGED_LABEL
            row["subpoena_witness"] = "not_for_official_acts"
    copy = tmp_path / "matrix-copy.yaml"
    copy.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return copy


def _lookup(app: Flask, agency: str) -> dict:  # type: ignore[type-arg]
    keys = agency_with_keys(app, agency)
    response = app.test_client().get(
        f"/api/v1/credentials/{DIPLOMAT_CREDENTIAL}?reason=traffic_stop",
        headers=bearer(keys.officer_key),
    )
    assert response.status_code == 200
    person: dict = response.get_json()["matches"][0]  # type: ignore[type-arg]
    return person


def test_the_configured_matrix_file_drives_answers_and_matrix_route(
    make_app: AppFactory, tmp_path: Path
) -> None:
    shipped = _lookup(make_app(), "Metro Police")
    assert shipped["immunity"]["actions"]["subpoena_witness"] == "no"

    app = make_app(IMMUNITY_MATRIX_PATH=str(_changed_copy(tmp_path)))
    changed = _lookup(app, "County Sheriff")
    assert changed["category_label"] == CHANGED_LABEL
    assert changed["immunity"]["actions"]["subpoena_witness"] == "not_for_official_acts"
    matrix = app.test_client().get("/api/v1/immunity-matrix").get_json()
    labels = [row["label"] for row in matrix["categories"]]
    assert CHANGED_LABEL in labels
    page = app.test_client().get("/outreach/matrix").get_data(as_text=True)
    assert CHANGED_LABEL in page
