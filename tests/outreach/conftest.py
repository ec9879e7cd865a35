"""Fixtures of the outreach tests: the real content directory and editable copies of it."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lookup import create_app
from lookup.extensions import search_backend
from lookup.rules.immunity import DEFAULT_MATRIX_PATH, ImmunityMatrix, load_matrix
from outreach.training_data import EXTENSION_KEY as TRAINING_KEY
from tests.factories import small_dataset

REPO = Path(__file__).resolve().parents[2]
CONTENT_DIR = REPO / "training_content"


@pytest.fixture
def matrix() -> ImmunityMatrix:
    return load_matrix(DEFAULT_MATRIX_PATH)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A copy of training_content/ that a test may break."""
    target = tmp_path / "training_content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def replace_in(path: Path, old: str, new: str, *, count: int = 1) -> int:
    """Replace `old` (which must occur) in a file; returns the 1-based line of the first hit."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


@pytest.fixture
def make_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Flask]]:
    """`make_app(**overrides)`: an app on a temporary data directory (live data: the small test
    set of tests/factories.py), with Flask config or settings overridden."""
    for name in list(os.environ):
        if name.startswith("DIPCHECK_"):
            monkeypatch.delenv(name)
    built: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        config: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "TESTING": True,
            "RATELIMIT_ENABLED": False,
        } | overrides
        app = create_app(**config)
        with app.app_context():
            if search_backend().dataset_info() is None:
                search_backend().publish(small_dataset())
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            search_backend().close()
        training = app.extensions.get(TRAINING_KEY)
        if training is not None:
            training.backend.close()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_of(client: FlaskClient, path: str = "/outreach/join") -> str:
    """The CSRF token the outreach forms carry for this client's cookie session."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no csrf token on {path}"
    return match.group(1)


def new_trainer(app: Flask, username: str = "ana", name: str = "Ana Trainer") -> str:
    """Create a trainer through the CLI; returns the password it printed once."""
    result = app.test_cli_runner().invoke(
        args=["outreach", "trainer", "create", username, "--name", name]
    )
    assert result.exit_code == 0, result.output
    return result.output.rsplit(": ", 1)[1].strip()


def sign_in(client: FlaskClient, username: str, password: str) -> None:
    token = csrf_of(client, "/outreach/trainer/login")
    response = client.post(
        "/outreach/trainer/login",
        data={"username": username, "password": password, "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
