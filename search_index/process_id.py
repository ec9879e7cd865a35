"""This process's id, without a system call per use.

Connections and files are kept per process and checked against the current process id on every
lookup (a forked worker must never use its parent's). The C library no longer caches getpid(),
so each check was a system call, several per lookup; the id is read once here and again in the
child after every fork Python makes (gunicorn forks its workers with os.fork).
"""

from __future__ import annotations

import os

_pid = os.getpid()


def _after_fork() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_after_fork)


def current_pid() -> int:
    return _pid
