"""The training content and the immunity matrix as the running app sees them.

Content is read from `OUTREACH_CONTENT_DIR` (default: training_content/ beside the packages) and
checked when the app starts. Broken content does not stop the officer-facing app: the outreach
pages answer 503 until it is fixed, and `dipcheck outreach content check` lists the problems. A
trainer may edit the files while the app runs; the next request reloads them, and if the edit
broke something the last good content stays served (only the number of problems is logged).

The matrix is the file the lookups answer with: `IMMUNITY_MATRIX_PATH` when a test or a deployment
points at another copy (one setting, read in lookup/rules/matrix_source.py), else the shipped
lookup/rules/immunity_matrix.yaml. It is never copied into content.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from flask import Flask, abort, current_app

from lookup.config import current_settings
from lookup.rules.immunity import ImmunityMatrix, load_matrix
from lookup.rules.matrix_source import matrix_path
from outreach.content import TrainingContent, load_content
from outreach.problems import ContentInvalid

log = logging.getLogger(__name__)

CONTENT_DIR_KEY: Final = "OUTREACH_CONTENT_DIR"
DEFAULT_CONTENT_DIR: Final = Path(__file__).resolve().parent.parent / "training_content"
EXTENSION_KEY: Final = "outreach.library"
# The 24/7 line comes from settings; the OFM main line is configuration too (re-verify both).
DEFAULT_OFM_PHONE: Final = "202-895-3500"


@dataclass
class _Library:
    root: Path
    matrix_path: Path | None
    content: TrainingContent | None
    signature: tuple[tuple[str, float, int], ...]
    lock: threading.Lock


def content_dir(app: Flask) -> Path:
    return Path(app.config.get(CONTENT_DIR_KEY) or DEFAULT_CONTENT_DIR)


def _signature(root: Path) -> tuple[tuple[str, float, int], ...]:
    """What changes when a trainer saves a file: names, modification times and sizes."""
    entries = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            stat = path.stat()
            entries.append((str(path.relative_to(root)), stat.st_mtime, stat.st_size))
    return tuple(entries)


# Parsed content by (directory, matrix file, file signature), shared by the apps of one process:
# checking the content takes about 0.1 s, and test suites create many apps over the same files.
_parsed: dict[tuple[Path, Path | None, tuple[tuple[str, float, int], ...]], TrainingContent] = {}
_parsed_lock = threading.Lock()


def _load(
    root: Path, path: Path | None, signature: tuple[tuple[str, float, int], ...]
) -> TrainingContent:
    key = (root.resolve(), path, signature)
    with _parsed_lock:
        found = _parsed.get(key)
    if found is None:
        found = load_content(root, load_matrix(path))
        with _parsed_lock:
            _parsed.clear()  # only the latest version of each directory is worth keeping
            _parsed[key] = found
    return found


def init_library(app: Flask) -> None:
    """Load and check the content once at start-up."""
    root = content_dir(app)
    path = matrix_path(app)
    signature = _signature(root) if root.is_dir() else ()
    content: TrainingContent | None = None
    try:
        content = _load(root, path, signature)
    except ContentInvalid as error:
        log.error(
            "training content has problems; run `dipcheck outreach content check`",
            extra={"problems": len(error.problems)},
        )
    app.extensions[EXTENSION_KEY] = _Library(root, path, content, signature, threading.Lock())


def current_matrix() -> ImmunityMatrix:
    library: _Library = current_app.extensions[EXTENSION_KEY]
    return load_matrix(library.matrix_path)


def current_content() -> TrainingContent:
    """The content being served; aborts with 503 while there is no valid version at all."""
    library: _Library = current_app.extensions[EXTENSION_KEY]
    signature = _signature(library.root) if library.root.is_dir() else ()
    if signature != library.signature:
        with library.lock:
            if signature != library.signature:
                library.signature = signature
                try:
                    library.content = _load(library.root, library.matrix_path, signature)
                except ContentInvalid as error:
                    log.warning(
                        "training content edit rejected; serving the previous version",
                        extra={"problems": len(error.problems)},
                    )
    if library.content is None:
        abort(503, description="The training content has problems; a trainer must fix it first.")
    return library.content


def placeholders() -> dict[str, str]:
    """Values for %NAME% placeholders in content."""
    return {
        "VERIFY_PHONE": current_settings().verify_phone,
        "OFM_PHONE": str(current_app.config.get("OUTREACH_OFM_PHONE", DEFAULT_OFM_PHONE)),
    }
