"""current_pid: the process id without a system call, right in a forked child too."""

from __future__ import annotations

import os

import pytest

from search_index.process_id import current_pid


def test_it_is_this_process_id() -> None:
    assert current_pid() == os.getpid()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_sees_its_own_id() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports through the pipe and exits without pytest's teardown
        try:
            os.write(write, b"1" if current_pid() == os.getpid() != os.getppid() else b"0")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.close(read)
    os.waitpid(pid, 0)
    assert answer == b"1"
    assert current_pid() == os.getpid() != pid
