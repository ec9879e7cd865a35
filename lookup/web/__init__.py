"""The officer mobile web: sign-in with password and TOTP, the lookup screen and its action card,
the supervisor and admin pages, and the offline app (offline.py). Register `web_blueprint` on the
app (at `/`)."""

from lookup.web import (
    auth_views,
    incident_views,
    lookup_views,
    manage_views,
    offline,
    ofm_views,
)
from lookup.web.blueprint import bp as web_blueprint

__all__ = [
    "auth_views",
    "incident_views",
    "lookup_views",
    "manage_views",
    "offline",
    "ofm_views",
    "web_blueprint",
]
