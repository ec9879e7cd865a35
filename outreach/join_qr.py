"""The join link of a seminar session and its QR code, drawn as inline SVG (no image request,
nothing from another origin, sharp on a projector)."""

from __future__ import annotations

import functools

import qrcode
import qrcode.image.svg
from flask import request, url_for
from markupsafe import Markup

from lookup.config import current_settings


def join_url(code: str) -> str:
    """Absolute: the QR is scanned by phones that reach the app by its public address."""
    path = url_for("outreach.join_with_code", code=code)
    base = current_settings().public_url or request.host_url.rstrip("/")
    return f"{base}{path}"


@functools.lru_cache(maxsize=256)  # a trainer's dashboard is reloaded all seminar long
def join_qr_svg(url: str) -> Markup:
    image = qrcode.make(
        url,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=4,
    )
    svg = image.to_string(encoding="unicode")
    # qrcode builds the SVG itself from the URL's bits; nothing user-typed is copied into it.
    return Markup(svg)  # noqa: S704
