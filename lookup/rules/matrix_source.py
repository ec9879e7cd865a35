"""Which immunity matrix file this app answers with: one setting for every user of the matrix.

`IMMUNITY_MATRIX_PATH` in the Flask config (a test or a deployment pointing at another copy),
else lookup/rules/immunity_matrix.yaml. The lookups' answers on every channel, the officer
screens, the public matrix route and the outreach pages all read it here, so a changed file
moves all of them together.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from flask import Flask, current_app

from lookup.rules.immunity import ImmunityMatrix, load_matrix

MATRIX_PATH_KEY: Final = "IMMUNITY_MATRIX_PATH"


def matrix_path(app: Flask) -> Path | None:
    """The configured matrix file, or None for the shipped one."""
    configured = app.config.get(MATRIX_PATH_KEY)
    return Path(configured) if configured else None


def current_matrix() -> ImmunityMatrix:
    """The matrix of the app handling this request or command (parsed once per file)."""
    return load_matrix(matrix_path(current_app))
