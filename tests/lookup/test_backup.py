"""`dipcheck backup DEST`: consistent copies of the served index and the state database while
writes go on, and a data directory restored from them serves again; and the SQLite library is
checked at start-up."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from lookup import create_app
from lookup.audit.records import records
from lookup.cli import cli
from lookup.config import ConfigError
from lookup.extensions import search_backend, services
from lookup.store.base import AuditFilter
from tests.factories import DIPLOMAT_PLATE, make_audit_record
from tests.lookup.conftest import AppFactory, agency_with_keys, bearer


def audit_rows(path: Path) -> list[tuple[int, str]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (verdict,) = db.execute("PRAGMA integrity_check").fetchone()
        assert verdict == "ok"
        return db.execute("SELECT seq, reference FROM audit ORDER BY seq").fetchall()
    finally:
        db.close()


def test_backup_while_audit_records_are_written(
    make_app: AppFactory, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    with app.app_context():
        store, info = services().store, search_backend().dataset_info()
    assert info is not None
    stop = threading.Event()
    written: list[str] = []

    def write() -> None:  # another thread, its own connections: as a serving worker would
        n = 0
        while not stop.is_set():
            entry = make_audit_record(reference=f"DC-{n // 100000:05d}-{n % 100000:05d}")
            store.append_audit(entry)
            written.append(entry.reference)
            n += 1

    for name in [n for n in os.environ if n.startswith("DIPCHECK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DIPCHECK_DATA_DIR", str(data_dir))
    writer = threading.Thread(target=write)
    writer.start()
    try:
        results = []
        for n in range(3):
            while len(written) < 50 * (n + 1):
                threading.Event().wait(0.01)
            dest = tmp_path / f"backup-{n}"
            results.append(CliRunner().invoke(cli, ["backup", str(dest)], catch_exceptions=False))
    finally:
        stop.set()
        writer.join(timeout=30)
    # The writer's last records may still wait in its journal for their batch: a read through
    # the store inserts them into the table.
    assert len(list(store.iter_audit(AuditFilter()))) == len(written)
    all_rows = audit_rows(data_dir / "state.sqlite3")
    for n, result in enumerate(results):
        assert result.exit_code == 0, result.output
        dest = tmp_path / f"backup-{n}"
        # Whole files: no write-ahead log or partial copy beside them.
        assert sorted(p.name for p in dest.iterdir()) == sorted(
            ["CURRENT", "state.sqlite3", f"index-{info.dataset_id}.sqlite"]
        )
        copied = audit_rows(dest / "state.sqlite3")
        # The database as of one moment: exactly the records up to the last one copied.
        assert copied == all_rows[: len(copied)]
        assert len(copied) >= 50 * (n + 1)
        assert f"state.sqlite3: {len(copied)} audit records" in result.output
        index = sqlite3.connect(dest / f"index-{info.dataset_id}.sqlite")
        try:
            assert index.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            for table in ("vehicles", "persons"):
                (count,) = index.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
                assert count == info.counts[table]
        finally:
            index.close()
    assert len(all_rows) == len(written)


def test_a_restored_data_directory_serves(
    make_app: AppFactory, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    keys = agency_with_keys(app, "Metro Police")
    url = f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=traffic_stop"
    assert app.test_client().get(url, headers=bearer(keys.officer_key)).status_code == 200
    monkeypatch.setenv("DIPCHECK_DATA_DIR", str(data_dir))
    result = CliRunner().invoke(cli, ["backup", str(tmp_path / "copy")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    restored = tmp_path / "restored"
    shutil.copytree(tmp_path / "copy", restored)  # the README's restore: copy DEST back
    again = create_app(data_dir=restored, TESTING=True)
    try:
        client = again.test_client()
        assert client.get(url, headers=bearer(keys.officer_key)).status_code == 200
        with again.app_context():
            assert len(list(records(AuditFilter(agency_id=keys.agency.id)))) == 2
    finally:
        with again.app_context():
            search_backend().close()
            services().store.close()


def test_an_old_sqlite_stops_start_up_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.31.1")
    with pytest.raises(ConfigError) as raised:
        create_app(data_dir=tmp_path, TESTING=True)
    assert str(raised.value) == (
        "SQLite 3.31.1 is too old: DipCheck needs 3.34.0 or newer (FTS5 trigram tokenizer); "
        "use a Python built with a newer SQLite"
    )
