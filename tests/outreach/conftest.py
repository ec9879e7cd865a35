"""Fixtures of the outreach tests: the real content directory and editable copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lookup.rules.immunity import DEFAULT_MATRIX_PATH, ImmunityMatrix, load_matrix

REPO = Path(__file__).resolve().parents[2]
CONTENT_DIR = REPO / "training_content"


@pytest.fixture
def matrix() -> ImmunityMatrix:
    return load_matrix(DEFAULT_MATRIX_PATH)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A copy of training_content/ that a test may break."""
    target = tmp_path / "training_content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def replace_in(path: Path, old: str, new: str, *, count: int = 1) -> int:
    """Replace `old` (which must occur) in a file; returns the 1-based line of the first hit."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line
