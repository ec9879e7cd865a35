"""Settings read from `DIPCHECK_*` environment variables, validated once at start-up.

A missing or invalid setting stops the app (or the CLI) before it serves anything, with one line
that names the variable: `ConfigError` carries that line.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from limits import parse_many
from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from lookup.store.sqlite.audit_journal import ROTATE_BYTES

ENV_PREFIX = "DIPCHECK_"
SETTINGS_KEY = "dipcheck.settings"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)


class ConfigError(Exception):
    """A setting is missing or invalid. `str()` is the one line shown to the operator."""


class Settings(BaseSettings):
    """Every knob of a deployment. Field `foo` is read from `DIPCHECK_FOO`."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    data_dir: Path | None = Field(
        default=None, description="Where the SQLite files live; default: the Flask instance folder."
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs sessions and QR tokens; default: a random key kept in DATA_DIR.",
    )
    elasticsearch_url: str | None = Field(
        default=None, description="Set: Elasticsearch holds records and app state; unset: SQLite."
    )
    ratelimit_storage_uri: str = Field(
        default="memory://", description="Rate-limit counters: memory:// or redis://host:port."
    )
    ratelimit_lookups: str = Field(
        default="600/minute", description="Lookups allowed per API key or officer."
    )
    qr_ratelimit: str = Field(
        default="30/minute",
        description="QR scans per client address (raise it where officers share one address).",
    )
    qr_keys_dir: Path | None = Field(
        default=None,
        description="Where the QR signing keys live (e.g. a mounted secret volume); "
        "default: DATA_DIR/qr_keys.",
    )
    sms_ratelimit_phone: str = Field(
        default="6/minute;60/hour", description="SMS lookups allowed per enrolled phone."
    )
    sms_ratelimit_all: str = Field(
        default="300/minute", description="SMS lookups allowed for the whole channel."
    )
    public_url: str | None = Field(
        default=None, description="External base URL (Twilio signatures and QR links)."
    )
    twilio_auth_token: SecretStr | None = None
    verify_phone: str = Field(
        default="(571) 345-3146",
        description="The 24/7 verification number every answer carries.",
    )
    verify_phone_label: str = "Diplomatic Security Command Center (24/7)"
    points_review: int = Field(
        default=8, ge=1, le=100, description="Licence points (24 months) that trigger review."
    )
    points_suspension: int = Field(
        default=12, ge=2, le=100, description="Licence points (24 months) that suspend."
    )
    insurance_expiring_days: int = Field(
        default=30, ge=0, le=365, description="A policy ending within this many days is expiring."
    )
    data_stale_hours: float = Field(
        default=72,
        gt=0,
        le=24 * 365,
        description="Answers from a data set published longer ago than this say the data may "
        "be out of date (web, QR, SMS, API `data_stale`, /readyz).",
    )
    apikey_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description="How long a verified API key is trusted before the store is asked again "
        "(bounds how long a revoked key keeps working in other processes).",
    )
    answer_cache_mb: int = Field(
        default=64,
        ge=0,
        le=16 * 1024,
        description="Memory (MB, estimated) each process may keep computed answers in; 0: none.",
    )
    max_request_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)
    trusted_proxies: int = Field(
        default=0,
        ge=0,
        le=5,
        description="Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are "
        "believed (the client address in the audit log comes from them); 0 believes none.",
    )
    web_idle_minutes: int = Field(
        default=30, ge=1, le=30, description="Web sign-in ends after this long without a request."
    )
    web_absolute_hours: float = Field(
        default=12, gt=0, le=12, description="Web sign-in ends this long after it began."
    )
    timezone: str = Field(
        default="America/New_York",
        description="IANA time zone whose calendar day answers are computed for (insurance "
        "ending today, expired cards): the officers' local day, not UTC's.",
    )
    audit_journal_rotate_bytes: int = Field(
        default=ROTATE_BYTES,
        ge=4096,
        le=64 * 1024 * 1024,
        description="SQLite only: each process's audit journal is emptied (after SQLite has "
        "been synced) once it holds this many bytes (about 400 per record).",
    )
    alert_command: str | None = Field(
        default=None,
        description="Run on an audit-store failure, with the event as JSON on standard input: "
        "a program and its arguments, split like a shell would but run without one.",
    )
    alert_webhook_url: str | None = Field(
        default=None, description="POSTed the same JSON event on an audit-store failure."
    )
    alert_interval_seconds: float = Field(
        default=60,
        ge=0,
        le=86_400,
        description="At most one alert per this many seconds per process (each event counts "
        "the failures it stands for).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (an IANA name such as America/Chicago)"
            ) from None
        return value

    def zone(self) -> ZoneInfo:
        """The configured time zone (its calendar days are the answers' days)."""
        return ZoneInfo(self.timezone)

    def local_date(self, moment: datetime | None = None) -> date:
        """The calendar day in the configured time zone at `moment` (default: now)."""
        return (moment or datetime.now(UTC)).astimezone(self.zone()).date()

    @field_validator("alert_command")
    @classmethod
    def _command(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            argv = shlex.split(value)
        except ValueError as error:
            raise ValueError(f"cannot be split into arguments ({error})") from None
        program = argv[0]
        if shutil.which(program) is None:
            raise ValueError(f"{program!r} is not an executable program (give its full path)")
        return value

    def alert_argv(self) -> tuple[str, ...] | None:
        """The alert command's argument vector (it is run without a shell)."""
        return tuple(shlex.split(self.alert_command)) if self.alert_command else None

    @field_validator("elasticsearch_url", "public_url", "alert_webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")) or len(value) < 10:
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("ratelimit_storage_uri")
    @classmethod
    def _storage_uri(cls, value: str) -> str:
        if "://" not in value:
            raise ValueError("must be a storage URI such as memory:// or redis://host:6379")
        return value

    @field_validator(
        "ratelimit_lookups", "qr_ratelimit", "sms_ratelimit_phone", "sms_ratelimit_all"
    )
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError:
            raise ValueError('must be a rate limit such as "600/minute"') from None
        return value

    @field_validator("verify_phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if sum(ch.isdigit() for ch in value) < 7:
            raise ValueError("must be a telephone number")
        return value.strip()

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.secret_key is not None and len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("DIPCHECK_SECRET_KEY: must be at least 32 characters")
        if self.twilio_auth_token is not None and not self.public_url:
            # Twilio signs the public URL it posts to; without it no webhook could be checked.
            raise ValueError("DIPCHECK_PUBLIC_URL: required when DIPCHECK_TWILIO_AUTH_TOKEN is set")
        if self.points_review >= self.points_suspension:
            raise ValueError("DIPCHECK_POINTS_REVIEW: must be below DIPCHECK_POINTS_SUSPENSION")
        return self


def _one_line(error: ValidationError) -> str:
    first = error.errors()[0]
    loc = [str(part) for part in first.get("loc", ())]
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if loc:
        return f"{ENV_PREFIX}{loc[0].upper()}: {message}"
    if message.startswith(ENV_PREFIX):  # a rule across settings names its variables itself
        return message
    return f"invalid configuration: {message}"


def load_settings(**values: Any) -> Settings:
    """Read the environment; keyword arguments win over it. Raises ConfigError."""
    try:
        return Settings(**values)
    except ValidationError as error:
        raise ConfigError(_one_line(error)) from None


def with_overrides(settings: Settings, values: dict[str, Any]) -> Settings:
    """A copy of `settings` with some fields replaced, validated again."""
    if not values:
        return settings
    merged = settings.model_dump()
    merged.update(values)
    try:
        return Settings.model_validate(merged)
    except ValidationError as error:
        raise ConfigError(_one_line(error)) from None


def setting_names() -> frozenset[str]:
    return frozenset(Settings.model_fields)


def persistent_secret(data_dir: Path) -> str:
    """The development secret: generated once and kept (mode 0600) in the data directory, so
    sessions and signed links survive restarts and every worker of one deployment agrees."""
    path = data_dir / SECRET_KEY_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    secret = secrets.token_urlsafe(48)
    # Write a private temporary file, then link it into place: the link either wins whole or
    # finds another worker's key, so nobody ever reads a half-written file.
    temporary = data_dir / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secret)
    try:
        os.link(temporary, path)
    except FileExistsError:
        secret = path.read_text(encoding="ascii").strip()
    finally:
        temporary.unlink()
    return secret


def current_settings() -> Settings:
    """The settings of the app handling this request or CLI command."""
    settings: Settings = current_app.extensions[SETTINGS_KEY]
    return settings
