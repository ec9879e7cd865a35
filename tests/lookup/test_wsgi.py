"""`lookup.wsgi:app`: a bad setting stops the server with one line and the boot-error code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPCHECK_")}
    env |= {"DIPCHECK_DATA_DIR": str(tmp_path), "DIPCHECK_LOG_LEVEL": "WARNING", **settings}
    return subprocess.run(
        [sys.executable, "-c", "from lookup.wsgi import app; print(type(app).__name__)"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_good_settings_give_the_app(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Flask"


def test_bad_setting_is_one_line_and_boot_error_status(tmp_path: Path) -> None:
    result = run(tmp_path, DIPCHECK_RATELIMIT_STORAGE_URI="localhost:6379")
    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [
        "dipcheck: DIPCHECK_RATELIMIT_STORAGE_URI: must be a storage URI such as memory:// or "
        "redis://host:6379"
    ]
