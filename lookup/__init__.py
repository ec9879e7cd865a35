"""DipCheck: the Flask application.

`create_app()` reads the `DIPCHECK_*` settings (failing at once, with one line, when one is
missing or invalid), wires the search backend, the state store, the rate limiter, logging and the
error handlers, and registers the channel blueprints listed in `_register_blueprints`.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from lookup.config import (
    SETTINGS_KEY,
    ConfigError,
    Settings,
    load_settings,
    persistent_secret,
    setting_names,
    with_overrides,
)
from lookup.http.json_provider import OrjsonProvider
from lookup.http.rate_limits import check_private_names, limiter_storage_uri

__all__ = ["ConfigError", "Settings", "create_app"]

PLUGIN_GROUP = "dipcheck.plugins"


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session (outreach's; the officer web keeps its own sessions),
    without building the cookie's signing serializer for a request that sends no cookie at all,
    as no API call does: the same empty session, for about 15 µs less CPU a request."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the app. Keyword overrides whose lower-cased name is a Settings field (`data_dir`,
    `ratelimit_lookups` ...) replace that setting and are validated like it; any other keyword is
    a Flask config key (`TESTING=True`, `RATELIMIT_ENABLED=False` ...). Raises ConfigError."""
    fields = setting_names()
    setting_values = {k.lower(): v for k, v in overrides.items() if k.lower() in fields}
    flask_config = {k: v for k, v in overrides.items() if k.lower() not in fields}
    if settings is None:
        settings = load_settings(**setting_values)
    else:
        settings = with_overrides(settings, setting_values)
    check_private_names()

    app = Flask(__name__, instance_relative_config=True)
    data_dir = Path(settings.data_dir or app.instance_path).resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"DIPCHECK_DATA_DIR: cannot create {data_dir}: {error.strerror}"
        ) from None
    secret = (
        settings.secret_key.get_secret_value()
        if settings.secret_key is not None
        else persistent_secret(data_dir)
    )
    app.config.from_mapping(
        SECRET_KEY=secret,
        DATA_DIR=str(data_dir),
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        # Explicit, because the one shared Limiter keeps the last app's `enabled` as its default:
        # without this, an app built with RATELIMIT_ENABLED=False (a test) would leave every
        # app built after it in the same process unlimited.
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=limiter_storage_uri(settings.ratelimit_storage_uri),
        RATELIMIT_HEADERS_ENABLED=True,
        # If Redis goes away, keep limiting in each process rather than not at all.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        JSON_SORT_KEYS=False,
    )
    app.json = OrjsonProvider(app)  # keys in the answers' own order, never sorted
    app.session_interface = CookieSessionInterface()
    app.config.update(flask_config)
    app.extensions[SETTINGS_KEY] = settings

    if settings.trusted_proxies:
        # Exactly that many hops: a client cannot forge its address past the last real proxy.
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    _init_extensions(app, settings, data_dir)
    _register_blueprints(app)
    _register_plugins(app)
    return app


def _init_extensions(app: Flask, settings: Settings, data_dir: Path) -> None:
    from lookup.audit.alerts import init_alerts
    from lookup.errors import register_error_handlers
    from lookup.extensions import init_services
    from lookup.http.headers import add_transport_security
    from lookup.http.logs import configure_logging, init_request_logging
    from lookup.http.rate_limits import init_retry_after, limiter
    from lookup.identity import accounts
    from search_index.sqlite.support import SQLiteUnsupported, check_sqlite

    configure_logging(settings)
    if not settings.elasticsearch_url:
        try:
            check_sqlite()
        except SQLiteUnsupported as error:
            raise ConfigError(str(error)) from None
    init_alerts(app, settings)
    services = init_services(app, settings, data_dir)
    services.declare(accounts.COLLECTIONS)
    init_retry_after(app)  # before the limiter: its hook then runs after the limiter's
    limiter.init_app(app)
    init_request_logging(app)
    register_error_handlers(app)
    app.after_request(add_transport_security)


def _register_plugins(app: Flask) -> None:
    """Packages that build on lookup (outreach) plug in here without lookup importing them
    (DESIGN.md: dependencies point outreach -> lookup -> search_index). Such a package names an
    `init_app(app)` function in the `dipcheck.plugins` entry-point group of pyproject.toml."""
    for entry_point in entry_points(group=PLUGIN_GROUP):
        init_app = entry_point.load()
        init_app(app)


def _register_blueprints(app: Flask) -> None:
    """Each channel of lookup adds its one line here; outreach plugs in via _register_plugins."""
    from lookup.api import api_blueprint, health_blueprint

    app.register_blueprint(health_blueprint)
    app.register_blueprint(api_blueprint, url_prefix="/api/v1")
    from lookup.api.docs_page import bp as api_docs_blueprint

    app.register_blueprint(api_docs_blueprint)
    from lookup.qr.views import qr_blueprint

    app.register_blueprint(qr_blueprint)
    from lookup.web import web_blueprint

    app.register_blueprint(web_blueprint)
    from lookup.sms import sms_blueprint

    app.register_blueprint(sms_blueprint, url_prefix="/sms")
