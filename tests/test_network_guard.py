"""Tests reach nothing but this machine (pytest-socket, configured in pyproject.toml): a
connection to another address fails the test, one to loopback goes through."""

from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketConnectBlockedError


def test_a_connection_beyond_loopback_is_refused() -> None:
    # The plugin also warns; pytest.warns keeps the suite's warnings-are-errors filter from
    # turning that into the failure instead of the refusal itself.
    with pytest.warns(UserWarning, match="192.0.2.1"), pytest.raises(SocketConnectBlockedError):
        # TEST-NET-1 (RFC 5737): never routed, so nothing is sent even if the guard were off.
        socket.create_connection(("192.0.2.1", 9), timeout=0.2)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_is_reachable(host: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection((host, port), timeout=2):
            accepted, _ = server.accept()
            accepted.close()
