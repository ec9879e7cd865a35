"""The start-up check of the private Flask-Limiter and `limits` names lookup/http/rate_limits.py
relies on: a release without one of them refuses to start with one line naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_limiter import Limiter
from limits.storage import MemoryStorage

from lookup import ConfigError, create_app
from lookup.http.rate_limits import check_private_names


def test_the_installed_releases_have_every_name() -> None:
    check_private_names()


def test_a_release_without_a_storage_method_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delattr(MemoryStorage, "_MemoryStorage__expire_events")
    with pytest.raises(ConfigError) as refused:
        create_app(data_dir=str(tmp_path))
    message = str(refused.value)
    assert "\n" not in message
    assert "limits.storage.MemoryStorage._MemoryStorage__expire_events" in message
    assert "pyproject.toml" in message


def test_a_release_without_the_request_hook_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(Limiter, "_check_request_limit")
    with pytest.raises(ConfigError, match=r"flask_limiter\.Limiter\._check_request_limit"):
        check_private_names()


def test_a_limiter_without_its_meta_limits_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = Limiter.__init__

    def without_meta_limits(self: Limiter, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        del self._meta_limits

    monkeypatch.setattr(Limiter, "__init__", without_meta_limits)
    with pytest.raises(ConfigError, match=r"Limiter\(\)\._meta_limits"):
        check_private_names()
