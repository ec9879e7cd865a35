"""`Retry-After` only where it means something: on 429 (come back when the window resets) and
503 (come back when the index or audit store may be back). Flask-Limiter adds it to every
response of a limited route, where a client would read it as an instruction to back off."""

from __future__ import annotations

from flask import Flask, Response

RETRY_STATUSES: frozenset[int] = frozenset({429, 503})


def init_app(app: Flask) -> None:
    """Call before `limiter.init_app(app)`: Flask runs an app's after-request hooks in the
    reverse order of their registration, so this one then runs after the limiter's."""

    @app.after_request
    def _retry_after_only_when_refused(response: Response) -> Response:
        if response.status_code not in RETRY_STATUSES:
            response.headers.pop("Retry-After", None)
        return response
