"""Fixtures of the OFM workspace tests: an app serving the compliance data set and an analyst."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from lookup.extensions import search_backend, state_store
from lookup.identity import accounts
from tests.compliance_data import compliance_dataset
from tests.lookup.conftest import AppFactory


@dataclass(frozen=True)
class Ofm:
    agency: accounts.Agency
    analyst_key: str
    officer_key: str  # an OFM officer: not an analyst


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    built = make_app(publish=False)
    with built.app_context():
        search_backend().publish(compliance_dataset())
    return built


@pytest.fixture
def ofm(app: Flask) -> Ofm:
    with app.app_context():
        agency = accounts.create_agency(state_store(), "Office of Foreign Missions", kind="ofm")
        _key, analyst_key = accounts.create_api_key(state_store(), agency, role="analyst")
        _key, officer_key = accounts.create_api_key(state_store(), agency, role="supervisor")
    return Ofm(agency, analyst_key, officer_key)
