"""`dipcheck import` and `dipcheck demo-data` as an operator runs them."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from flask import Flask

from lookup.cli_data import demo_data_command, import_command
from lookup.extensions import search_backend
from search_index.sqlite.backend import SQLiteBackend
from tests.factories import small_dataset, write_dataset_csv
from tests.lookup.conftest import AppFactory


def run_import(app: Flask, directory: Path) -> tuple[int, str, str]:
    result = app.test_cli_runner().invoke(import_command, [str(directory)])
    return result.exit_code, result.stdout, result.stderr


def test_demo_data_then_import_publishes_and_prints_counts(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(publish=False)
    runner = app.test_cli_runner()
    result = runner.invoke(
        demo_data_command, [str(tmp_path / "demo"), "--seed", "4", "--today", "2026-05-01"]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 40 missions, 1,200 persons, 240 vehicles, 450 licenses" in result.output
    code, out, err = run_import(app, tmp_path / "demo")
    assert code == 0, err
    assert "40 missions, 1,200 persons, 240 vehicles, 450 licenses" in out
    with app.app_context():
        info = search_backend().dataset_info()
    assert info is not None
    assert info.dataset_id in out
    assert info.counts["persons"] == 1200


def test_an_invalid_set_lists_every_problem_and_publishes_nothing(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()  # the small set is already served
    with app.app_context():
        before = search_backend().dataset_info()
    directory = write_dataset_csv(small_dataset(), tmp_path / "set")
    with open(directory / "vehicles.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["plate"] = "DVL/1"
    rows[1]["owner_person_id"] = "P-nobody"
    with open(directory / "vehicles.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code, out, err = run_import(app, directory)
    assert code == 1
    assert "vehicles.csv:2: plate: plate may hold only" in err
    assert "vehicles.csv:3: owner_person_id: no person 'P-nobody' in persons.csv" in err
    assert "2 problem(s)" in err
    assert "nothing was published" in err
    assert out == ""
    with app.app_context():
        assert search_backend().dataset_info() == before


def test_running_the_same_import_again_gives_the_same_result(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(publish=False)
    directory = write_dataset_csv(small_dataset(), tmp_path / "set")
    answers = []
    for _ in range(2):
        code, _, err = run_import(app, directory)
        assert code == 0, err
        with app.app_context(), search_backend().snapshot() as snap:
            answers.append(
                (snap.info.counts, snap.find_plate("DVL1234"), snap.get_person("P-0004"))
            )
    assert answers[0] == answers[1]


def test_an_import_is_refused_while_another_runs(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app(publish=False)
    directory = write_dataset_csv(small_dataset(), tmp_path / "set")
    with app.app_context():
        other = SQLiteBackend(Path(app.config["DATA_DIR"]))
    try:
        with other.import_lock():
            code, _, err = run_import(app, directory)
    finally:
        other.close()
    assert code == 1
    assert "another import is running" in err
    with app.app_context():
        assert search_backend().dataset_info() is None


def test_the_lock_holds_across_processes(tmp_path: Path, data_dir: Path) -> None:
    """A second `dipcheck import` process is refused while this process holds the lock."""
    directory = write_dataset_csv(small_dataset(), tmp_path / "set")
    holder = SQLiteBackend(data_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPCHECK_")}
    env["DIPCHECK_DATA_DIR"] = str(data_dir)
    try:
        with holder.import_lock():
            busy = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "from lookup.cli import main; main()",
                    "import",
                    str(directory),
                ],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
            )
        done = subprocess.run(
            [sys.executable, "-c", "from lookup.cli import main; main()", "import", str(directory)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    finally:
        holder.close()
    assert busy.returncode == 1
    assert "another import is running" in busy.stderr
    assert done.returncode == 0, done.stderr
    assert "published data set" in done.stdout


def test_import_of_a_missing_directory_is_a_usage_error(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(publish=False)
    code, _, err = run_import(app, tmp_path / "nowhere")
    assert code == 2
    assert "does not exist" in err
