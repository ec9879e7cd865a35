"""The WSGI entry point for production servers: `gunicorn lookup.wsgi:app`.

A configuration error is printed as its one line and the process exits with status 3, which
gunicorn reads as "the worker could not boot": it stops, instead of printing a traceback and
restarting workers in a loop.
"""

from __future__ import annotations

import sys

from lookup import ConfigError, create_app

WORKER_BOOT_ERROR = 3

try:
    app = create_app()
except ConfigError as error:
    print(f"dipcheck: {error}", file=sys.stderr)
    raise SystemExit(WORKER_BOOT_ERROR) from None
