"""`dipcheck backup DEST`: consistent copies of both SQLite databases while the server runs.

DEST receives the served search-index file with a `CURRENT` pointer naming it, and
`state.sqlite3` (accounts, keys, sessions, audit log), each copied with SQLite's online backup
API: the database as of one moment, checked with `integrity_check`, synced, and renamed into
place. DEST is laid out like a data directory; the README says how to restore from it.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from lookup.extensions import STATE_DB_FILE, search_backend, services
from lookup.store.sqlite.store import SQLiteStateStore
from search_index.sqlite.backend import SQLiteBackend


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(dest: Path) -> None:
    """Copy the served search index and the state database into DEST (made if missing)."""
    backend, store = search_backend(), services().store
    if not isinstance(backend, SQLiteBackend) or not isinstance(store, SQLiteStateStore):
        raise click.ClickException(
            "backup copies the SQLite databases; with Elasticsearch, use its snapshot API"
        )
    info = backend.backup(dest)
    counts = ", ".join(f"{count} {kind}" for kind, count in sorted(info.counts.items()))
    click.echo(f"search index: data set {info.dataset_id} ({counts})")
    audit_records = store.backup(dest / STATE_DB_FILE)
    click.echo(f"{STATE_DB_FILE}: {audit_records} audit records")
