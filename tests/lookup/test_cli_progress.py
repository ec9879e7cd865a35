"""Progress of the long commands: a bar per stage on a terminal, nothing when the output is not
a terminal (scripts, cron, CI logs keep exactly the result lines)."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

from lookup.cli_data import demo_data_command, import_command
from lookup.cli_progress import terminal_progress
from search_index.importer import load_directory
from search_index.progress import QUIET
from search_index.sqlite.backend import SQLiteBackend
from tests.factories import small_dataset, write_dataset_csv
from tests.lookup.conftest import AppFactory


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_each_stage_of_an_import_draws_a_bar_on_a_terminal(tmp_path: Path) -> None:
    write_dataset_csv(small_dataset(), tmp_path / "set")
    screen = _Terminal()
    progress = terminal_progress(screen)
    dataset = load_directory(tmp_path / "set", progress)
    SQLiteBackend(tmp_path / "data").publish(dataset, progress)
    drawn = screen.getvalue()
    for stage in ("validating", "loading", "indexing", "switching"):
        assert stage in drawn
    assert "100%" in drawn


def test_no_terminal_means_no_progress_at_all(tmp_path: Path) -> None:
    assert terminal_progress(io.StringIO()) is QUIET


def test_commands_print_only_their_result_when_not_on_a_terminal(
    make_app: AppFactory, tmp_path: Path
) -> None:
    runner = make_app(publish=False).test_cli_runner()
    wrote = runner.invoke(demo_data_command, [str(tmp_path / "demo"), "--today", "2026-05-01"])
    assert wrote.exit_code == 0, wrote.output
    assert wrote.stderr == ""
    assert wrote.stdout.splitlines() == [wrote.stdout.strip()]
    assert wrote.stdout.startswith("wrote ")
    imported = runner.invoke(import_command, [str(tmp_path / "demo")])
    assert imported.exit_code == 0, imported.output
    assert imported.stderr == ""
    assert imported.stdout.startswith("published data set ")
    assert len(imported.stdout.splitlines()) == 1


def _on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run `dipcheck ARGS` with stderr on a pseudo-terminal; returns its status and screen."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", "from lookup.cli import main; main()", *args],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    screen = bytearray()
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the pty closes (EIO) once the process has exited
            break
        if not chunk:
            break
        screen += chunk
    os.close(leader)
    return process.wait(timeout=120), screen.decode(errors="replace")


def test_bootstrap_and_demo_data_show_their_stages_on_a_real_terminal(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPCHECK_")}
    env["DIPCHECK_DATA_DIR"] = str(tmp_path / "data")
    code, screen = _on_a_terminal(["demo-data", str(tmp_path / "demo")], env)
    assert code == 0, screen
    assert "generating" in screen
    assert "writing" in screen
    code, screen = _on_a_terminal(["bootstrap"], env)
    assert code == 0, screen
    for stage in ("generating", "writing", "validating", "loading", "indexing", "switching"):
        assert stage in screen
