"""Draws the offline app's icons (lookup/web/static/offline/icon-*.png): a white check mark in a
rounded square of the officer pages' button blue. Run again only to change them; the PNGs are
committed. Needs Pillow (a main dependency): `.venv/bin/python scripts/offline_icons.py`."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "lookup" / "web" / "static" / "offline"
BLUE = "#0b4fb3"  # --button in card.css
SIZES = (192, 512)


def icon(size: int) -> Image.Image:
    """Drawn on the whole square (a "maskable" icon keeps its mark inside the middle 80 %)."""
    image = Image.new("RGB", (size, size), BLUE)
    draw = ImageDraw.Draw(image)
    unit = size / 16
    draw.rounded_rectangle(
        [3 * unit, 3 * unit, 13 * unit, 13 * unit],
        radius=2 * unit,
        outline="white",
        width=round(unit),
    )
    draw.line(
        [(5.2 * unit, 8.3 * unit), (7.2 * unit, 10.4 * unit), (10.9 * unit, 5.8 * unit)],
        fill="white",
        width=round(1.3 * unit),
        joint="curve",
    )
    return image


def main() -> None:
    for size in SIZES:
        icon(size).save(OUT / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
