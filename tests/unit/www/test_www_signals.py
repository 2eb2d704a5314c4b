"""Every hand-written server runs detached and stops cleanly on SIGTERM and SIGINT (exit 0, `shutting down`)."""

import signal
import socket

import pytest

from tests.unit.www.conftest import request

SERVERS = ["hello_www", "echo_www", "ws30"]


def stop(server, sig: int) -> int:
    """Signal the server and wait for its exit status (the log stays readable, unlike after server.stop())."""
    server.proc.send_signal(sig)
    return server.proc.wait(10)


@pytest.mark.parametrize("name", SERVERS)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_cleanly(start_www, tmp_path, name, sig):
    server = start_www(name, cwd=tmp_path)
    assert request(server.port, "/")[0].status == 200
    assert server.alive()  # stdin is at EOF (start_server): it must not stop the server
    assert stop(server, sig) == 0
    log = server.log()
    assert f"{name} shutting down ({sig.name})" in log
    assert "Traceback" not in log
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()


@pytest.mark.parametrize("name", SERVERS)
def test_signal_while_a_client_is_connected(start_www, tmp_path, name):
    server = start_www(name, cwd=tmp_path)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as idle:
        idle.sendall(b"GET / HTTP/1.1\r\n")  # an unfinished request
        assert stop(server, signal.SIGTERM) == 0
    assert "shutting down" in server.log()
