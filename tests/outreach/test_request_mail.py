"""A seminar request e-mails the trainers when SMTP is configured: a real SMTP server (aiosmtpd)
on a loopback port receives it. The requester follows the request on a signed status link."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from lookup.config import ConfigError
from tests.outreach.conftest import csrf_of
from tests.outreach.test_requests import VALID


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content))
        )
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, _Inbox]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _mail_settings(port: int) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
        "mail_from": "dipcheck@outreach.example",
        "request_notify": "ana@outreach.example, bo@outreach.example",
    }


def _send_request(app: Flask) -> str:
    public = app.test_client()
    token = csrf_of(public, "/outreach/request")
    sent = public.post("/outreach/request", data={**VALID, "csrf_token": token})
    assert sent.status_code == 302
    return str(sent.headers["Location"])


def test_a_request_e_mails_the_trainers(
    make_app: Callable[..., Flask], smtp: tuple[int, _Inbox]
) -> None:
    port, inbox = smtp
    app = make_app(OUTREACH_MAIL=_mail_settings(port))
    location = _send_request(app)
    assert len(inbox.messages) == 1
    sender, recipients, message = inbox.messages[0]
    assert sender == "dipcheck@outreach.example"
    assert recipients == ["ana@outreach.example", "bo@outreach.example"]
    assert message["Subject"] == "Seminar request: Riverside County Sheriff"
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    text = body.decode("utf-8")
    assert "Sgt. Kim Lowe <training@riverside.example>" in text
    assert "Traffic stops, crashes and impaired drivers" in text
    assert "/outreach/trainer/requests" in text
    assert location.split("?")[0] in text  # the requester's status link, for a reply
    page = app.test_client().get(location).get_data(as_text=True)
    assert 'data-status="new"' in page
    assert "Riverside County Sheriff" in page


def test_a_mail_server_that_is_down_costs_the_mail_not_the_request(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(OUTREACH_MAIL=_mail_settings(_free_port()) | {"smtp_timeout": 2})
    location = _send_request(app)
    assert 'data-status="new"' in app.test_client().get(location).get_data(as_text=True)


def test_without_smtp_nothing_is_sent_and_a_forged_status_link_is_404(
    make_app: Callable[..., Flask], smtp: tuple[int, _Inbox]
) -> None:
    _, inbox = smtp
    app = make_app()
    location = _send_request(app)
    assert inbox.messages == []
    client = app.test_client()
    assert client.get(location).status_code == 200
    token = location.split("/status/", 1)[1].split("?")[0]
    assert client.get(f"/outreach/request/status/{token[:-2]}xx").status_code == 404


def test_incomplete_smtp_settings_stop_the_app_naming_the_variable(
    make_app: Callable[..., Flask],
) -> None:
    with pytest.raises(ConfigError, match="DIPCHECK_OUTREACH_MAIL_FROM: required"):
        make_app(OUTREACH_MAIL={"smtp_host": "127.0.0.1", "request_notify": "a@b.example"})
    with pytest.raises(ConfigError, match="DIPCHECK_OUTREACH_SMTP_PORT"):
        make_app(OUTREACH_MAIL=_mail_settings(0))
