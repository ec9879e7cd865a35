"""The synthetic data set that training mode searches, and the only backend it can reach.

The set is the demo generator's small set with a fixed seed, plus the invented records the
scenarios are about (training_content/training_records/). It is imported with the real importer
(so it is validated like live data) and published into its own SQLite backend under
`<data_dir>/training`, always SQLite even when live records are in Elasticsearch. It is rebuilt
when the scenario records, the seed or the scale change.

Isolation: the training views get their backend only from `training_backend()`, which refuses to
hand out the app's live backend object or a backend over the live data directory.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from flask import Flask, current_app

from lookup.extensions import services
from search_index.backend import SearchBackend
from search_index.demo_data import write_demo_data
from search_index.importer import LICENSES, MISSIONS, PERSONS, VEHICLES, load_directory
from search_index.normalize import normalize_identifier, normalize_plate
from search_index.sqlite.backend import SQLiteBackend

TRAINING_SEED: Final = 4242
TRAINING_SCALE: Final = "small"
TRAINING_DIR: Final = "training"
FINGERPRINT_FILE: Final = "training-fingerprint"
EXTENSION_KEY: Final = "outreach.training"
_FORMAT_VERSION: Final = "2"  # 2: card and licence numbers from the seed


class TrainingIsolationError(RuntimeError):
    """Training mode was about to reach live records."""


@dataclass
class _Training:
    directory: Path
    records_dir: Path
    backend: SQLiteBackend
    lock: threading.Lock


def init_training(app: Flask, data_dir: Path, records_dir: Path) -> None:
    directory = data_dir / TRAINING_DIR
    app.extensions[EXTENSION_KEY] = _Training(
        directory=directory,
        records_dir=records_dir,
        backend=SQLiteBackend(directory),
        lock=threading.Lock(),
    )


def fingerprint(records_dir: Path) -> str:
    digest = hashlib.sha256(f"{_FORMAT_VERSION}:{TRAINING_SEED}:{TRAINING_SCALE}".encode())
    for name in (MISSIONS, PERSONS, VEHICLES, LICENSES):
        digest.update(name.encode())
        digest.update((records_dir / name).read_bytes())
    return digest.hexdigest()


def training_backend() -> SearchBackend:
    """The training backend, built on first use. Never the live one."""
    training: _Training = current_app.extensions[EXTENSION_KEY]
    live = services()
    if training.backend is live.backend or training.directory.resolve() == live.data_dir.resolve():
        raise TrainingIsolationError("the training backend must not be the live backend")
    ensure_built(training)
    return training.backend


def ensure_built(training: _Training) -> bool:
    """Publish the training set if it is missing or out of date; True when it was (re)built."""
    wanted = fingerprint(training.records_dir)
    marker = training.directory / FINGERPRINT_FILE
    if _current(training, marker, wanted):
        return False
    with training.lock:
        if _current(training, marker, wanted):
            return False
        with tempfile.TemporaryDirectory(prefix="dipcheck-training-") as work:
            dataset = load_directory(build_import_files(training.records_dir, Path(work)))
        training.backend.publish(dataset)
        marker.write_text(wanted, encoding="ascii")
        return True


def _current(training: _Training, marker: Path, wanted: str) -> bool:
    try:
        return (
            marker.read_text(encoding="ascii") == wanted
            and training.backend.dataset_info() is not None
        )
    except FileNotFoundError:
        return False


def build_import_files(records_dir: Path, work: Path) -> Path:
    """Write the demo set and append the scenario records; returns the directory to import.
    A demo record that happens to share a plate, card or licence number with a scenario record
    is dropped (vehicles, licences) or loses its card (persons), so the scenarios stay exact."""
    demo = work / "demo"
    write_demo_data(demo, TRAINING_SCALE, seed=TRAINING_SEED)
    out = work / "import"
    out.mkdir()
    plates = _keys(records_dir / VEHICLES, "plate", normalize_plate)
    cards = _keys(records_dir / PERSONS, "credential_number", normalize_identifier)
    licences = _keys(records_dir / LICENSES, "license_number", normalize_identifier)

    def keep_vehicle(row: dict[str, str]) -> bool:
        return _normal(row["plate"], normalize_plate) not in plates

    def keep_licence(row: dict[str, str]) -> bool:
        return _normal(row["license_number"], normalize_identifier) not in licences

    def fix_person(row: dict[str, str]) -> bool:
        if _normal(row.get("credential_number", ""), normalize_identifier) in cards:
            for column in ("credential_number", "credential_type", "credential_expiry"):
                row[column] = ""
            row["credential_status"] = ""
        return True

    _merge(demo / MISSIONS, records_dir / MISSIONS, out / MISSIONS, lambda row: True)
    _merge(demo / PERSONS, records_dir / PERSONS, out / PERSONS, fix_person)
    _merge(demo / VEHICLES, records_dir / VEHICLES, out / VEHICLES, keep_vehicle)
    _merge(demo / LICENSES, records_dir / LICENSES, out / LICENSES, keep_licence)
    shutil.rmtree(demo)
    return out


def _normal(raw: str, normalize: Callable[[str], str]) -> str | None:
    try:
        return normalize(raw) if raw.strip() else None
    except ValueError:
        return None


def _keys(path: Path, column: str, normalize: Callable[[str], str]) -> set[str | None]:
    with path.open(encoding="utf-8", newline="") as handle:
        found = {_normal(row.get(column) or "", normalize) for row in csv.DictReader(handle)}
    found.discard(None)
    return found


def _merge(demo: Path, extra: Path, target: Path, keep: Callable[[dict[str, str]], bool]) -> None:
    with demo.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        rows = [row for row in reader if keep(row)]
    with extra.open(encoding="utf-8", newline="") as handle:
        rows += list(csv.DictReader(handle))
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="", extrasaction="raise")
        writer.writeheader()
        writer.writerows(rows)
