"""`Retry-After` only where it means something, and there always: on 429 (come back when the
window resets) and 503 (come back when the index or audit store may be back). Flask-Limiter adds
it to every response of a limited route, where a client would read it as an instruction to back
off; and every 503 of the JSON API says when to retry, whichever route refused."""

from __future__ import annotations

from flask import Flask, Response, request

RETRY_STATUSES: frozenset[int] = frozenset({429, 503})
# What a 503 of the JSON API asks for when its route named no other time.
UNAVAILABLE_RETRY_SECONDS = 30
API_PATH = "/api/"


def init_app(app: Flask) -> None:
    """Call before `limiter.init_app(app)`: Flask runs an app's after-request hooks in the
    reverse order of their registration, so this one then runs after the limiter's."""

    @app.after_request
    def _retry_after_only_when_refused(response: Response) -> Response:
        if response.status_code not in RETRY_STATUSES:
            response.headers.pop("Retry-After", None)
        elif response.status_code == 503 and request.path.startswith(API_PATH):
            response.headers.setdefault("Retry-After", str(UNAVAILABLE_RETRY_SECONDS))
        return response
