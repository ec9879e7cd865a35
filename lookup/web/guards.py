"""Who may open a page: a signed-in officer with the right role, and a valid CSRF token on
every form that changes something or looks something up."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import abort, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from lookup.identity import sessions
from lookup.identity.sessions import WebSession

P = ParamSpec("P")
R = TypeVar("R")

ADMIN_ROLES = ("admin",)


def require_session() -> WebSession:
    """The live session; aborts with a redirect to the sign-in page when there is none."""
    session = sessions.current_web_session()
    if session is None:
        had_cookie = sessions.cookie_name() in request.cookies
        abort(redirect(url_for("web.login", ended=1) if had_cookie else url_for("web.login")))
    return session


def check_csrf(session: WebSession) -> None:
    if not sessions.csrf_matches(session, request.form.get("csrf_token")):
        abort(400)


def signed_in(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R | BaseResponse]]:
    """Requires a live session (any role when none are named) and, for POST, the CSRF token."""

    def decorate(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
            session = require_session()
            if roles and session.role not in roles:
                abort(403)
            if request.method == "POST":
                check_csrf(session)
            return view(*args, **kwargs)

        return wrapper

    return decorate
