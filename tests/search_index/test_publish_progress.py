"""Publishing reports its stages, each run to its end, on both backends (the Elasticsearch one
against the live cluster): what the CLI's progress bars show."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from search_index.backend import SearchBackend
from search_index.progress import Advance
from tests.factories import small_dataset


class Recorder:
    def __init__(self) -> None:
        self.stages: list[tuple[str, int, int]] = []  # label, total, steps reported

    @contextmanager
    def stage(self, label: str, total: int) -> Iterator[Advance]:
        done = [0]

        def advance(steps: int) -> None:
            done[0] += steps

        yield advance
        self.stages.append((label, total, done[0]))


def test_each_publish_stage_is_reported_and_completed(backend: SearchBackend) -> None:
    recorder = Recorder()
    dataset = small_dataset()
    backend.publish(dataset, recorder)
    labels = [label for label, _, _ in recorder.stages]
    assert labels[0] == "loading"
    assert labels[-1] == "switching"
    assert labels[1] in ("indexing", "refreshing")  # SQLite builds indexes; Elasticsearch refreshes
    assert len(labels) == 3
    for label, total, done in recorder.stages:
        assert done == total, label
    if labels[1] == "refreshing":  # Elasticsearch counts documents as the bulk load goes
        assert recorder.stages[0][1] == sum(dataset.counts().values())
