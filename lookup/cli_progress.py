"""Progress bars for the long `dipcheck` commands (import, demo-data, bootstrap): Click's
progress bar on stderr when stderr is a terminal, nothing otherwise, so that scripts, cron jobs
and CI logs get exactly the commands' result lines."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

import click

from search_index.progress import QUIET, Advance, Progress

LABEL_WIDTH = 11  # the longest stage label, "refreshing", and a space: the bars line up


class _TerminalProgress:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    @contextmanager
    def stage(self, label: str, total: int) -> Iterator[Advance]:
        with click.progressbar(
            length=max(total, 1), label=label.ljust(LABEL_WIDTH), file=self.stream
        ) as bar:
            yield bar.update


def terminal_progress(stream: TextIO | None = None) -> Progress:
    """A bar per stage on `stream` (stderr by default) if it is a terminal, else QUIET."""
    out = stream if stream is not None else sys.stderr
    return _TerminalProgress(out) if out.isatty() else QUIET
