"""E-mail to trainers when an agency asks for a seminar, when SMTP is configured.

Settings (environment, prefix DIPCHECK_OUTREACH_; a test or deployment may pass the same names in
the Flask config key OUTREACH_MAIL instead):

| variable | default | meaning |
|---|---|---|
| DIPCHECK_OUTREACH_SMTP_HOST | unset: no e-mail | the mail server |
| DIPCHECK_OUTREACH_SMTP_PORT | 587 | its port |
| DIPCHECK_OUTREACH_SMTP_STARTTLS | true | STARTTLS before anything is sent |
| DIPCHECK_OUTREACH_SMTP_USERNAME, _PASSWORD | unset | sign in to the server |
| DIPCHECK_OUTREACH_MAIL_FROM | required with a host | the sender address |
| DIPCHECK_OUTREACH_REQUEST_NOTIFY | required with a host | trainers' addresses, comma-separated |

A request is saved before any mail is tried: a mail server that is down costs the e-mail, never
the request (trainers still see it on their dashboard), and the failure is logged without the
request's content.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Final

from flask import Flask, current_app
from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lookup.config import ConfigError

log = logging.getLogger(__name__)

ENV_PREFIX: Final = "DIPCHECK_OUTREACH_"
CONFIG_KEY: Final = "OUTREACH_MAIL"
EXTENSION_KEY: Final = "outreach.mail"


class MailSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_starttls: bool = True
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = Field(10.0, gt=0, le=120)
    mail_from: str | None = None
    request_notify: str = ""

    @property
    def recipients(self) -> tuple[str, ...]:
        return tuple(part.strip() for part in self.request_notify.split(",") if part.strip())

    @model_validator(mode="after")
    def _complete(self) -> MailSettings:
        if self.smtp_host:
            if not self.mail_from:
                raise ValueError(f"{ENV_PREFIX}MAIL_FROM: required with {ENV_PREFIX}SMTP_HOST")
            if not self.recipients:
                raise ValueError(f"{ENV_PREFIX}REQUEST_NOTIFY: required with {ENV_PREFIX}SMTP_HOST")
        return self


def init_mail(app: Flask) -> None:
    """Read and check the settings once, at start-up. Raises ConfigError naming the variable."""
    values: dict[str, Any] = dict(app.config.get(CONFIG_KEY) or {})
    try:
        app.extensions[EXTENSION_KEY] = MailSettings(**values)
    except ValidationError as error:
        first = error.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["loc"]:
            message = f"{ENV_PREFIX}{str(first['loc'][0]).upper()}: {message}"
        raise ConfigError(message) from None


@dataclass(frozen=True, slots=True)
class Outgoing:
    subject: str
    body: str


def send_to_trainers(mail: Outgoing) -> bool:
    """Send when SMTP is configured; False when it is not or the server refused (logged)."""
    settings: MailSettings = current_app.extensions[EXTENSION_KEY]
    if not settings.smtp_host or not settings.mail_from:
        return False
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = ", ".join(settings.recipients)
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("seminar request e-mail not sent", extra={"error_type": type(error).__name__})
        return False
    return True
