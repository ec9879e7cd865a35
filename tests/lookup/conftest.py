"""App fixtures for every lookup test: an app on a temporary data directory with the small
published data set of tests/factories.py, two agencies, and API keys for each role."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lookup import create_app
from lookup.extensions import search_backend, services, state_store
from lookup.identity import accounts
from lookup.identity.key_cache import clear_cache
from tests.factories import small_dataset

AppFactory = Callable[..., Flask]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def make_app(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppFactory]:
    """`make_app(**overrides)`: a fresh app (same data directory) with settings or Flask config
    overridden; the small data set is published unless `publish=False`."""
    for name in list(os.environ):
        if name.startswith("DIPCHECK_"):
            monkeypatch.delenv(name)
    clear_cache()
    built: list[Flask] = []

    def build(*, publish: bool = True, **overrides: Any) -> Flask:
        settings: dict[str, Any] = {"data_dir": data_dir, "TESTING": True} | overrides
        app = create_app(**settings)
        if publish:
            with app.app_context():
                if search_backend().dataset_info() is None:
                    search_backend().publish(small_dataset())
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            search_backend().close()
            services().store.close()
    clear_cache()


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass(frozen=True)
class AgencyKeys:
    agency: accounts.Agency
    officer_key: str
    supervisor_key: str
    officer_key_id: str
    supervisor_key_id: str


def agency_with_keys(app: Flask, name: str) -> AgencyKeys:
    with app.app_context():
        agency = accounts.create_agency(state_store(), name)
        officer, officer_key = accounts.create_api_key(state_store(), agency, role="officer")
        supervisor, supervisor_key = accounts.create_api_key(
            state_store(), agency, role="supervisor"
        )
    # The ids the audit names keys by: those `dipcheck apikey list` shows.
    return AgencyKeys(agency, officer_key, supervisor_key, officer.key_id, supervisor.key_id)


@pytest.fixture
def metro(app: Flask) -> AgencyKeys:
    """The agency most tests act for."""
    return agency_with_keys(app, "Metro Police")


@pytest.fixture
def county(app: Flask) -> AgencyKeys:
    """A second agency, for isolation tests."""
    return agency_with_keys(app, "County Sheriff")


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
