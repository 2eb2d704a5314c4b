"""Every echo server runs detached: stdin at EOF, closed, or write-only (as nohup leaves it) changes nothing.

The course's select server stopped on stdin EOF and crashed on an unreadable stdin (course §1.3, §4 item 10).
"""

import time

import pytest

from tests.unit.echo.helpers import PORT_ENV, PREFIX, REPLY, connect, echo_round
from tests.unit.servers import BIN, free_port

STDIN = {
    "at EOF": "",  # the fixture's default: /dev/null
    "closed": "<&-",
    "write-only": "0>/dev/null",
}


@pytest.mark.parametrize("stdin", STDIN)
@pytest.mark.parametrize("script", PORT_ENV)
def test_serves_whatever_stdin_is(start_server, script, stdin):
    port = free_port()
    # An absolute argv[0] passes through the fixture's BIN / argv[0]; the shell sets up stdin, then execs the server.
    argv = ["/bin/sh", "-c", f'exec "$0" "$@" {STDIN[stdin]}', str(BIN / script), "--port", str(port)]
    server = start_server(argv, port, env={"ECHO_PREFIX": PREFIX})
    time.sleep(0.5)  # the course's select server would be gone by now
    assert server.alive(), server.log()
    with connect(port) as sock:
        assert echo_round(sock, b"detached") == REPLY + b"detached"
    assert "Traceback" not in server.log()
