"""Settings: sane defaults, and a bad value stops start-up with one line naming the variable."""

from __future__ import annotations

import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from lookup import create_app
from lookup.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("DIPCHECK_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.data_dir is None
    assert settings.elasticsearch_url is None
    assert settings.ratelimit_storage_uri == "memory://"
    assert settings.ratelimit_lookups == "600/minute"
    assert settings.verify_phone == "(571) 345-3146"


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DIPCHECK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DIPCHECK_ELASTICSEARCH_URL", "http://search:9200/")
    monkeypatch.setenv("DIPCHECK_RATELIMIT_LOOKUPS", "100/minute;1000/hour")
    settings = load_settings()
    assert settings.data_dir == tmp_path
    assert settings.elasticsearch_url == "http://search:9200"
    assert settings.ratelimit_lookups == "100/minute;1000/hour"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DIPCHECK_ELASTICSEARCH_URL", "search:9200"),
        ("DIPCHECK_PUBLIC_URL", "ftp://example.org"),
        ("DIPCHECK_RATELIMIT_LOOKUPS", "lots"),
        ("DIPCHECK_RATELIMIT_STORAGE_URI", "localhost:6379"),
        ("DIPCHECK_VERIFY_PHONE", "call us"),
        ("DIPCHECK_APIKEY_CACHE_SECONDS", "-1"),
        ("DIPCHECK_MAX_REQUEST_BYTES", "ten"),
        ("DIPCHECK_LOG_LEVEL", "LOUD"),
        ("DIPCHECK_POINTS_REVIEW", "0"),
    ],
)
def test_invalid_setting_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        create_app(data_dir=tmp_path)
    message = str(raised.value)
    assert message.startswith(f"{variable}:")
    assert "\n" not in message


def test_cross_field_rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DIPCHECK_SECRET_KEY", "too-short")
    with pytest.raises(ConfigError, match=r"^DIPCHECK_SECRET_KEY: must be at least 32 characters$"):
        create_app(data_dir=tmp_path)
    monkeypatch.delenv("DIPCHECK_SECRET_KEY")
    with pytest.raises(ConfigError, match=r"^DIPCHECK_POINTS_REVIEW: must be below"):
        create_app(data_dir=tmp_path, points_review=12, points_suspension=12)
    with pytest.raises(ConfigError, match=r"^DIPCHECK_PUBLIC_URL: required when"):
        create_app(data_dir=tmp_path, twilio_auth_token="t" * 32)


def test_unusable_data_dir_fails_at_start(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match=r"^DIPCHECK_DATA_DIR: cannot create"):
        create_app(data_dir=blocker / "data")


def test_development_secret_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = create_app(data_dir=tmp_path)
    second = create_app(data_dir=tmp_path)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_configured_secret_wins(tmp_path: Path) -> None:
    app = create_app(data_dir=tmp_path, secret_key="s" * 40)
    assert app.config["SECRET_KEY"] == "s" * 40
    assert not (tmp_path / "secret_key").exists()


def test_overrides_split_between_settings_and_flask_config(tmp_path: Path) -> None:
    app = create_app(data_dir=tmp_path, RATELIMIT_LOOKUPS="5/second", TESTING=True)
    assert app.testing
    assert app.extensions["dipcheck.settings"].ratelimit_lookups == "5/second"
    with pytest.raises(ConfigError, match="DIPCHECK_RATELIMIT_LOOKUPS"):
        create_app(data_dir=tmp_path, ratelimit_lookups="often")


def test_default_data_dir_is_the_instance_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path / "inst"))
    app = create_app()
    assert app.config["DATA_DIR"] == str((tmp_path / "inst").resolve())
    assert (tmp_path / "inst" / "secret_key").exists()


def test_answers_use_the_configured_local_day(monkeypatch: pytest.MonkeyPatch) -> None:
    # 03:30 UTC on the 25th is still the evening of the 24th on the East Coast: a policy that
    # ends "today" must still read as ending today there.
    late_evening = datetime(2026, 11, 25, 3, 30, tzinfo=UTC)
    assert load_settings().local_date(late_evening) == date(2026, 11, 24)
    assert load_settings(timezone="UTC").local_date(late_evening) == date(2026, 11, 25)
    monkeypatch.setenv("DIPCHECK_TIMEZONE", "Pacific/Honolulu")
    assert load_settings().local_date(late_evening) == date(2026, 11, 24)


def test_unknown_time_zone_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIPCHECK_TIMEZONE", "Mars/Olympus_Mons")
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value) == (
        "DIPCHECK_TIMEZONE: unknown time zone 'Mars/Olympus_Mons' "
        "(an IANA name such as America/Chicago)"
    )
