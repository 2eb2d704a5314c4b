"""Every hand-written server runs detached and stops cleanly on SIGTERM and SIGINT (exit 0, `shutting down`)."""

import signal
import socket
import time
from pathlib import Path

import pytest

from tests.unit.www.helpers import parse_response, recv_to_close, request

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


def accept_queue(port: int) -> int:
    """Connections waiting in the kernel for the server on 127.0.0.1:PORT to accept them (/proc/net/tcp)."""
    local = f"0100007F:{port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[3] == "0A":  # LISTEN: rx_queue is the accept queue
            return int(fields[4].split(":")[1], 16)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


@pytest.mark.parametrize("name", SERVERS)
def test_a_request_begun_before_the_signal_is_answered(start_www, tmp_path, name):
    """A deploy's restart must not cut a request short: one whose head was arriving when SIGTERM came is answered
    (seen in the deploy tests: the loop left at once when the signal came between its checks, and closed it)."""
    server = start_www(name, cwd=tmp_path)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as client:
        client.sendall(b"GET / HTTP/1.0\r\n")
        deadline = time.monotonic() + 5
        while accept_queue(server.port) and time.monotonic() < deadline:  # until the server took it
            time.sleep(0.01)
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)  # the rest comes well after the signal, well within the grace (STOP_GRACE_SECONDS, 3 s)
        client.sendall(b"Host: lab\r\n\r\n")
        response, _body = parse_response(recv_to_close(client))
    assert response.status == 200
    assert server.proc.wait(10) == 0
