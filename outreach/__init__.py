"""Outreach and training: seminar decks, handouts, the pocket card, the immunity matrix page,
trainer-led sessions with quizzes, attendance and certificates, seminar requests and training
mode. `init_app(app)` is the one call create_app makes; nothing in lookup/ imports this package
otherwise (dependencies point outreach -> lookup -> search_index)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint at /outreach/, its CLI group `dipcheck outreach`, its state-store
    collections, the content library and the training backend. Needs lookup's services."""
    # The view modules add their routes to the blueprint when imported.
    from lookup.config import SETTINGS_KEY
    from lookup.extensions import EXTENSION_KEY, Services
    from outreach import (  # noqa: F401
        agency_requests,
        attendee_views,
        cli,
        pages,
        request_views,
        seminars,
        trainer_views,
        trainers,
        training_incident_views,
        training_views,
    )
    from outreach.blueprint import bp
    from outreach.content import TRAINING_RECORDS_DIR
    from outreach.library import content_dir, init_library
    from outreach.mail import init_mail
    from outreach.training_data import init_training

    services: Services = app.extensions[EXTENSION_KEY]
    # Flask's signed session cookie is used only by outreach (trainer sign-in, attendance, CSRF
    # token); the officer web keeps its own server-side session. Keep it first-party, and
    # https-only when the app is published over https.
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    public_url = app.extensions[SETTINGS_KEY].public_url
    if public_url and public_url.startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    services.declare((*trainers.SPECS, *seminars.SPECS, *agency_requests.SPECS))
    init_library(app)
    init_mail(app)
    init_training(app, Path(app.config["DATA_DIR"]), content_dir(app) / TRAINING_RECORDS_DIR)
    app.register_blueprint(bp)
    _add_offline_pages(app)


def _add_offline_pages(app: Flask) -> None:
    """The pocket card and the full matrix open offline too: the officer app's service worker
    caches them with its bundle (public pages, the same for everyone)."""
    from lookup.http.offline_bundle import OfflineFile, OfflinePage, add_offline_pages
    from outreach.content import POCKET_CARD_FILE
    from outreach.library import content_dir

    here = Path(__file__).resolve().parent
    add_offline_pages(
        app,
        [
            OfflinePage("outreach.pocket_card", "Pocket card"),
            OfflinePage("outreach.matrix_page", "Immunity matrix by category"),
        ],
        [
            OfflineFile("outreach.static", "outreach.css"),
            OfflineFile("outreach.static", "print.css"),
        ],
        [
            content_dir(app) / POCKET_CARD_FILE,
            *(here / "templates" / "outreach" / name for name in _OFFLINE_TEMPLATES),
            here / "static" / "outreach.css",
            here / "static" / "print.css",
        ],
    )


_OFFLINE_TEMPLATES = ("base.html", "pocket_card.html", "matrix.html")
