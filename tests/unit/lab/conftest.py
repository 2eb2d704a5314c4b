"""Fixtures for the lab's tests: a tiny fake TCP server for the checks' failure modes, and a port plan helper."""

import contextlib
import socket
import threading
from pathlib import Path

import pytest
from stacklab_core import ports as port_plan

from tests.unit.conftest import free_port

STACK_ENV = Path(__file__).parents[3] / "stack.env"


def plan(**ports) -> dict[str, str]:
    """The repository's plan with some ports moved, and every other service on a closed port."""
    repository = port_plan.load(STACK_ENV)
    closed = {key: str(free_port()) for key in repository if key.endswith("_PORT")}
    return {**repository, **closed, **{key: str(value) for key, value in ports.items()}}


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
