"""Progress of long operations (validating an import, loading, refreshing and switching a data
set, generating demo data), reported to whoever runs them.

The operations know their stages and sizes; how progress is shown is the caller's business: the
CLI draws a bar on a terminal (lookup.cli_progress), everything else passes QUIET.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

Advance = Callable[[int], None]
"""Called with the number of steps just done within the current stage."""


class Progress(Protocol):
    def stage(self, label: str, total: int) -> AbstractContextManager[Advance]:
        """A named stage of `total` steps; the block reports its steps through the yielded
        function and the stage ends with the block."""


def _ignore(steps: int) -> None:
    del steps


class _Quiet:
    @contextmanager
    def stage(self, label: str, total: int) -> Iterator[Advance]:
        del label, total
        yield _ignore


QUIET: Progress = _Quiet()
