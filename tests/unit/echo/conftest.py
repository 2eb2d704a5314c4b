"""Fixtures of the echo servers' tests: a server started on a free port (helpers: tests/unit/echo/helpers.py)."""

import pytest

from tests.unit.echo.helpers import PORT_ENV, PREFIX
from tests.unit.servers import free_port


@pytest.fixture
def start_echo(start_server):
    """start_echo(script, **env) -> a running server, its port given through the env var, PREFIX set."""

    def start(script: str, **env: str):
        port = free_port()
        return start_server([script], port, env={"ECHO_PREFIX": PREFIX, PORT_ENV[script]: str(port), **env})

    return start
