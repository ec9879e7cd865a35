"""`dipcheck import DIR` and `dipcheck demo-data DIR`: loading the served data set.

`import` validates the whole set first and publishes only a valid one, through the configured
backend (SQLite or Elasticsearch). It holds the backend's import lock from the first file read to
the switch, so a second import started meanwhile is refused at once with a clear message. Problems
go to stderr one per line as `FILE:LINE: FIELD: message`; the exit status is then 1 and the data
served before stays served. Operational output never echoes record values beyond those lines.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from lookup.audit.admin import audit_command
from lookup.audit.records import AuditUnavailable
from lookup.cli_progress import terminal_progress
from lookup.extensions import search_backend
from lookup.store.base import Outcome
from search_index.backend import BackendError, ImportBusy, ImportLocking, SearchBackend
from search_index.demo_data import SCALES, Scale, write_demo_data
from search_index.importer import ImportFailed, load_directory
from search_index.progress import QUIET, Progress
from search_index.records import DatasetInfo


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{number:,} {name}" for name, number in counts.items())


def import_directory(
    backend: SearchBackend, directory: Path, progress: Progress = QUIET
) -> DatasetInfo:
    """Validate the files in `directory` and publish them. Raises ImportFailed (nothing
    published), ImportBusy (another import runs) or another BackendError."""
    lock: AbstractContextManager[None] = (
        backend.import_lock() if isinstance(backend, ImportLocking) else nullcontext()
    )
    with lock:
        dataset = load_directory(directory, progress)
        return backend.publish(dataset, progress)


@click.command("import")
@click.argument(
    "directory", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@with_appcontext
def import_command(directory: Path) -> None:
    """Validate the import files in DIRECTORY (missions.csv, persons.csv, vehicles.csv,
    licenses.csv) and publish them as the served data set.

    Every problem is listed as FILE:LINE: FIELD: message and nothing is published. Running the
    same import again publishes the same data again."""
    try:
        info = import_directory(search_backend(), directory, terminal_progress())
    except ImportFailed as failed:
        for line in failed.errors:
            click.echo(line, err=True)
        _audit_import(directory, "denied", _rejection_detail(failed.errors))
        raise click.ClickException(
            f"{len(failed.errors)} problem(s) in {directory}; nothing was published"
        ) from None
    except ImportBusy as busy:
        raise click.ClickException(str(busy)) from None
    except BackendError as error:
        raise click.ClickException(
            f"could not publish; the previous set stays served ({error})"
        ) from None
    _audit_import(directory, "match", {"dataset_id": info.dataset_id, "counts": info.counts})
    published = info.published_at.strftime("%Y-%m-%d %H:%M:%S %Z")
    click.echo(f"published data set {info.dataset_id} at {published}: {_counts(info.counts)}")


MAX_AUDITED_PROBLEMS = 50


def _rejection_detail(errors: list[str]) -> dict[str, Any]:
    """Where the problems are (`FILE:LINE: FIELD`), never the messages: a message may quote a
    record's value, and the audit record keeps what was done, not the data."""
    where = [":".join(line.split(":")[:3]) for line in errors[:MAX_AUDITED_PROBLEMS]]
    return {"problems": len(errors), "where": where}


def _audit_import(directory: Path, outcome: Outcome, detail: dict[str, Any]) -> None:
    try:
        audit_command("import", str(directory), None, outcome=outcome, detail=detail)
    except AuditUnavailable as error:
        raise click.ClickException(
            f"the audit log could not record this import ({error})"
        ) from None


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@click.command("demo-data")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--scale",
    type=click.Choice(list(SCALES)),
    default="small",
    show_default=True,
    help="small: a few hundred records of every kind; full: the real population's size.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same data.")
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Lay the dates out around this day (YYYY-MM-DD) instead of today's date.",
)
def demo_data_command(directory: Path, scale: Scale, seed: int, today: datetime | None) -> None:
    """Write a synthetic import set into DIRECTORY (invented people, missions and plates).

    Expiry dates are placed relative to today (or --today), so a set generated today shows every
    insurance, credential and travel-notice state today; the same seed and day give the same
    files."""
    counts = write_demo_data(
        directory, scale=scale, seed=seed, today=_day(today), progress=terminal_progress()
    )
    click.echo(f"wrote {_counts(counts)} to {directory}")
