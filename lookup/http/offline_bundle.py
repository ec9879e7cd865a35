"""What the offline officer app caches beyond its own pages: public pages another package adds
(outreach's pocket card and matrix), the static files they load, and the files they are made
from. Kept outside the channels so that a plugin adds a page without importing the web channel;
the web's offline module (lookup/web/offline.py) reads it to build the service worker's list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from flask import Flask

OFFLINE_KEY: Final = "dipcheck.offline"


@dataclass(frozen=True, slots=True)
class OfflinePage:
    """A public page another package adds to the bundle (the outreach pocket card)."""

    endpoint: str
    title: str


@dataclass(frozen=True, slots=True)
class OfflineFile:
    """A static file such a page loads: its blueprint's static endpoint and its name."""

    endpoint: str
    filename: str


@dataclass
class OfflineBundle:
    """What plugins added: pages, the files they load, and the files they are made from (so a
    change to those gives the cache a new version)."""

    pages: list[OfflinePage] = field(default_factory=list)
    files: list[OfflineFile] = field(default_factory=list)
    sources: list[Path] = field(default_factory=list)
    version: str | None = None


def bundle_of(app: Flask) -> OfflineBundle:
    """The app's bundle: what the plugins added so far."""
    bundle: OfflineBundle = app.extensions.setdefault(OFFLINE_KEY, OfflineBundle())
    return bundle


def add_offline_pages(
    app: Flask,
    pages: Iterable[OfflinePage],
    files: Iterable[OfflineFile],
    sources: Iterable[Path],
) -> None:
    """Add public pages (and the static files they load) to the offline bundle. `sources`: the
    files they are rendered from. Only for pages that show no personal data to anyone."""
    bundle = bundle_of(app)
    bundle.pages.extend(pages)
    bundle.files.extend(files)
    bundle.sources.extend(sources)
    bundle.version = None
