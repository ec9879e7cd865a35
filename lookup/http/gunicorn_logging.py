"""Gunicorn's own log lines, without what a client sent (gunicorn.conf.py names this class).

Gunicorn quotes requests in three places: its access log (off in gunicorn.conf.py, but one
command-line flag turns it on), the warning for a malformed request (which quotes the request
line) and the error for a request its worker failed on (which names the URI). Here the access
log shows the route the app matched (`/api/v1/plates/<plate>`, left in the WSGI environ by
lookup/http/logs.py), never the path, query, referrer or other headers; the other two keep their
kind and drop the request.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

from lookup.http.logs import ROUTE_ENVIRON_KEY, ROUTE_NOT_LOGGED

# Atoms that hold no part of what the client sent beyond its method and protocol.
_KEPT_ATOMS = frozenset("hltsBbTMDLpH")
_INVALID_REQUEST = "Invalid request from ip="
_FAILED_REQUEST = "Error handling request"


class RouteOnlyLogger(Logger):  # type: ignore[misc]  # gunicorn has no type hints
    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta
    ) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        route = environ.get(ROUTE_ENVIRON_KEY, ROUTE_NOT_LOGGED)
        kept = {name: value for name, value in atoms.items() if name in _KEPT_ATOMS}
        method = atoms.get("m", "-") if route != ROUTE_NOT_LOGGED else "-"
        kept["m"] = method
        kept["r"] = f"{method} {route} {atoms.get('H', '-')}"
        kept["U"] = route
        kept["q"] = kept["f"] = "-"
        kept["a"] = "-"
        return kept

    def warning(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(msg, str) and msg.startswith(_INVALID_REQUEST):
            client = msg.removeprefix(_INVALID_REQUEST).split(":", 1)[0]
            msg, args = f"{_INVALID_REQUEST}{client} (request not logged)", ()
        super().warning(msg, *args, **kwargs)

    def exception(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(msg, str) and msg.startswith(_FAILED_REQUEST):
            # Neither the URI nor the traceback, whose messages may quote the request.
            self.error_log.error(f"{_FAILED_REQUEST} (request not logged)")
            return
        super().exception(msg, *args, **kwargs)
