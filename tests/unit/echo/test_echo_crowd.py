"""A crowd on the concurrent echo servers (issue 20): 2,000 idle connections from one address leave room for a
client from another, answered within a second; a client past a full room evicts the longest idle, not itself."""

import time

import pytest

from tests.unit.echo.helpers import REPLY, echo_round
from tests.unit.servers import NEWCOMER, connect_from, idle_flood


@pytest.mark.parametrize("script", ["stacklab-echo-server", "stacklab-echo-select"])
def test_a_flood_from_one_address_leaves_room_for_another(start_echo, script):
    server = start_echo(script)
    with idle_flood(server.port):
        started = time.monotonic()
        with connect_from(NEWCOMER, server.port, timeout=1) as newcomer:
            assert echo_round(newcomer, b"newcomer", timeout=1) == REPLY + b"newcomer"
        assert time.monotonic() - started < 1
        assert server.alive()
