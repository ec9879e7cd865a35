"""/healthz says the process lives; /readyz checks the index, the published data and the store."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from flask import Flask

from lookup.extensions import EXTENSION_KEY
from lookup.store.base import StoreUnavailable
from search_index.backend import BackendUnavailable
from tests.lookup.conftest import AppFactory


def test_healthz(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_ready_with_published_data(app: Flask) -> None:
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["index"]["published"] is True
    assert body["index"]["counts"]["vehicles"] > 0
    assert 0 <= body["index"]["age_seconds"] < 600
    assert body["state_store"] == {"ok": True, "backend": "sqlite", "audit_failures": 0}


def test_not_ready_without_data(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app(publish=False, data_dir=tmp_path / "fresh")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not_ready"
    assert body["index"]["published"] is False
    assert body["error"]["code"] == "not_ready"
    assert "published" in body["error"]["message"]


def test_not_ready_when_index_or_store_is_down(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    services = app.extensions[EXTENSION_KEY]

    def down() -> AbstractContextManager[None]:
        raise BackendUnavailable("refused")

    monkeypatch.setattr(services.backend, "ping", down)
    body = app.test_client().get("/readyz").get_json()
    assert body["index"]["ok"] is False
    monkeypatch.undo()

    def store_down() -> None:
        raise StoreUnavailable("locked")

    monkeypatch.setattr(services.store, "ping", store_down)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["state_store"]["ok"] is False
