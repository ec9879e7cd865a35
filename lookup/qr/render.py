"""QR images of verification URLs: SVG (default, vector, crisp at any print size) and PNG.

Every code uses error-correction level Q (about 25% of the symbol may be damaged: worn cards,
scratched laminate) and must fit QR version 12 or lower, so it stays readable when printed small
on an ID card. A URL that would need a larger version is refused, never printed too dense.
"""

from __future__ import annotations

import io
from typing import Literal

import qrcode
import qrcode.constants
from qrcode.image.svg import SvgPathImage

MAX_VERSION = 12
BORDER_MODULES = 4  # the quiet zone the QR standard asks for
ImageFormat = Literal["svg", "png"]


class QrTooLarge(ValueError):
    """The URL needs a QR version above MAX_VERSION at level Q (shorten DIPCHECK_PUBLIC_URL)."""


def build(url: str) -> qrcode.QRCode:
    """The QR symbol for `url`, the smallest version that holds it at level Q."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_Q, border=BORDER_MODULES, box_size=10
    )
    code.add_data(url)
    code.make(fit=True)
    if code.version > MAX_VERSION:
        raise QrTooLarge(
            f"the verification URL needs QR version {code.version} at level Q "
            f"(at most {MAX_VERSION}): shorten DIPCHECK_PUBLIC_URL"
        )
    return code


def svg(url: str) -> str:
    """A standalone SVG document (one path, sized in millimetres by the QR library)."""
    image = build(url).make_image(image_factory=SvgPathImage)
    text: bytes = image.to_string()
    return text.decode("utf-8")


def png(url: str, *, box_size: int = 10) -> bytes:
    """A PNG image. Needs Pillow, a main dependency, so PNG works wherever DipCheck is installed."""
    code = build(url)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def image(url: str, fmt: ImageFormat) -> bytes:
    return svg(url).encode("utf-8") if fmt == "svg" else png(url)
