"""Fixtures for the lab's tests: a tiny fake TCP server for the checks' failure modes (port plans:
tests/unit/lab/helpers.py)."""

import contextlib
import socket
import threading

import pytest


@pytest.fixture
def fake_server():
    """fake_server(handler) -> port: runs handler(conn) for each connection on 127.0.0.1, in a thread."""
    listeners = []

    def start(handler) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def serve():
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:  # closed at the end of the test
                    return
                threading.Thread(target=_handle, args=(handler, conn), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()
        return listener.getsockname()[1]

    yield start
    for listener in listeners:
        listener.close()


def _handle(handler, conn):
    with conn, contextlib.suppress(OSError):  # the check hung up: fine for a fake
        handler(conn)
