"""Flask's signed cookie session (outreach's) is opened as before, but a request that sends no
cookie gets its empty session without the signing serializer being built."""

from __future__ import annotations

import pytest
from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer


def test_a_request_without_cookies_builds_no_serializer(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[URLSafeTimedSerializer | None] = []
    original = SecureCookieSessionInterface.get_signing_serializer

    def counted(self: SecureCookieSessionInterface, app: Flask) -> URLSafeTimedSerializer | None:
        built.append(original(self, app))
        return built[-1]

    monkeypatch.setattr(SecureCookieSessionInterface, "get_signing_serializer", counted)
    assert client.get("/healthz").status_code == 200
    assert built == []
    client.set_cookie("unrelated", "1")
    assert client.get("/healthz").status_code == 200
    assert len(built) == 1


def test_sessions_open_as_flask_opens_them(app: Flask) -> None:
    interface = app.session_interface
    serializer = interface.get_signing_serializer(app)
    assert serializer is not None
    name = interface.get_cookie_name(app)
    signed = serializer.dumps({"trainer": "t-1"})
    for cookie, expected in ((f"{name}={signed}", {"trainer": "t-1"}), (f"{name}=forged", {})):
        with app.test_request_context("/", headers={"Cookie": cookie}):
            opened = interface.open_session(app, request)
            assert opened is not None
            assert dict(opened) == expected
    with app.test_request_context("/"):
        session = interface.open_session(app, request)
        assert session is not None
        assert dict(session) == {}
        assert not session.modified
