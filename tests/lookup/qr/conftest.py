"""An app with the small data set published, a QR signing key, and two agencies' API keys."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lookup import create_app
from lookup.config import current_settings
from lookup.extensions import search_backend, state_store
from lookup.identity.accounts import create_agency, create_api_key
from lookup.qr.documents import issue
from lookup.qr.key_ring import keystore
from lookup.qr.keys import KeyStore
from tests.factories import small_dataset

PUBLIC_URL = "https://dipcheck.police.example.gov"


@dataclass(frozen=True)
class QrEnv:
    app: Flask
    client: FlaskClient
    keys: KeyStore
    api_key: str  # agency A
    other_api_key: str  # agency B

    def token(self, kind: str, subject: str, **kwargs: object) -> str:
        with self.app.app_context(), search_backend().snapshot() as snapshot:
            zone = current_settings().zone()
            signer = self.keys.signer()
            return issue(snapshot, kind, subject, signer, zone=zone, **kwargs).token  # type: ignore[arg-type]

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.api_key}"}


@pytest.fixture(autouse=True)
def _no_deployment_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's own DIPCHECK_* variables (an Elasticsearch URL, a keys directory) must not
    change what these tests build."""
    for name in list(os.environ):
        if name.startswith("DIPCHECK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def qr_env(tmp_path: Path) -> QrEnv:
    app = create_app(
        data_dir=tmp_path / "data",
        public_url=PUBLIC_URL,
        TESTING=True,
        QR_RATELIMIT="10000/minute",
    )
    with app.app_context():
        search_backend().publish(small_dataset())
        agency = create_agency(state_store(), "Arlington County Police")
        other = create_agency(state_store(), "Fairfax County Police")
        _, key = create_api_key(state_store(), agency)
        _, other_key = create_api_key(state_store(), other)
        keys = keystore()
        keys.create(now=datetime.now(UTC) - timedelta(days=1))
    return QrEnv(app, app.test_client(), keys, key, other_key)
