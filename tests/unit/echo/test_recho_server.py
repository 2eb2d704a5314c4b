"""Serial repeat-echo server (course §1.2, checks §2 item 2) and its client, on 127.0.0.1."""

import signal
import socket
import subprocess
import threading
import time

import pytest

from tests.unit.echo.helpers import (
    PREFIX,
    REPLY,
    assert_backs_off_while_out_of_fds,
    binary_garbage,
    connect,
    echo_round,
    nothing_arrives,
    recv_exactly,
    recv_to_close,
    reset,
    unprefix,
)
from tests.unit.servers import BIN, free_port

SCRIPT = "stacklab-recho-server"


def test_three_messages_on_one_connection_then_next_client(start_echo):
    server = start_echo(SCRIPT)
    with connect(server.port) as sock:
        client = sock.getsockname()
        for message in (b"one", b"two", b"three"):
            assert echo_round(sock, message) == REPLY + message
    server.wait_for_log(f"closed connection from {client!r}")
    with connect(server.port) as sock:
        assert echo_round(sock, b"next") == REPLY + b"next"
    log = server.log()
    assert f"accepted connection from {client!r}" in log
    assert log.index(f"closed connection from {client!r}") < log.rindex("accepted connection from")


def test_serves_one_client_at_a_time(start_echo):
    server = start_echo(SCRIPT)
    with connect(server.port) as a:
        assert echo_round(a, b"from A") == REPLY + b"from A"  # A holds the server now
        with connect(server.port) as b:  # the connect succeeds: the kernel's backlog takes it
            b.sendall(b"from B")
            assert nothing_arrives(b, 1.0), "B was answered while A was still connected"
            assert echo_round(a, b"A again") == REPLY + b"A again"
            a.close()
            assert recv_exactly(b, len(REPLY) + 6, timeout=5) == REPLY + b"from B"


def test_idle_client_loses_its_turn_after_the_idle_timeout(start_echo):
    server = start_echo(SCRIPT, RECHO_IDLE_TIMEOUT="1")
    with connect(server.port) as idle:
        time.sleep(0.2)  # let the server take the idle client first
        with connect(server.port) as waiting:
            assert echo_round(waiting, b"my turn?", timeout=5) == REPLY + b"my turn?"
        assert recv_to_close(idle) == b""
    server.wait_for_log("(idle for 1 s)")


def test_abrupt_reset_ends_only_that_clients_turn(start_echo):
    server = start_echo(SCRIPT)
    sock = connect(server.port)
    sock.sendall(b"x" * 100_000)  # the server is busy echoing into a peer that will not read
    time.sleep(0.2)
    reset(sock)
    server.wait_for_log("closed connection from")
    with connect(server.port) as sock:
        assert echo_round(sock, b"after reset") == REPLY + b"after reset"


def test_client_that_connects_and_sends_nothing_then_closes(start_echo):
    server = start_echo(SCRIPT)
    with connect(server.port) as silent:
        client = silent.getsockname()
    server.wait_for_log(f"closed connection from {client!r}\n")
    with connect(server.port) as sock:
        assert echo_round(sock, b"hello") == REPLY + b"hello"


def test_binary_garbage_is_echoed_chunk_by_chunk(start_echo):
    server = start_echo(SCRIPT)
    garbage = binary_garbage(4096)
    with connect(server.port) as sock:
        sock.sendall(garbage)
        sock.shutdown(socket.SHUT_WR)  # the server then closes after the last echo
        assert unprefix(recv_to_close(sock)) == garbage
    assert server.alive()


def test_one_megabyte_input_is_echoed_whole_with_a_prefix_per_chunk(start_echo):
    server = start_echo(SCRIPT)
    data = binary_garbage(1_000_000)
    with connect(server.port, timeout=20) as sock:
        sender = threading.Thread(target=_send_then_half_close, args=(sock, data), daemon=True)
        sender.start()
        stream = recv_to_close(sock, timeout=20)
        sender.join(5)
    assert unprefix(stream) == data
    assert stream.count(REPLY) >= len(data) // 1024  # one prefix per chunk of at most 1024 bytes


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly_even_while_a_client_is_connected(start_echo, sig):
    server = start_echo(SCRIPT)
    with connect(server.port) as sock:
        echo_round(sock, b"hold")
        server.proc.send_signal(sig)
        assert server.proc.wait(timeout=5) == 0
    assert "recho_server shutting down" in server.log()


def test_client_session(start_echo):
    server = start_echo(SCRIPT)
    result = _client("127.0.0.1", str(server.port), stdin="one\ntwo\n\nnot sent\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (f"Connection accepted by (127.0.0.1,{server.port})\n> {PREFIX}: one\n> {PREFIX}: two\n> ")
    log = server.wait_for_log("closed connection from", timeout=5)
    assert log.count("accepted connection from") == 2  # the fixture's port probe, then ONE for the whole session


def test_client_reports_connection_refused():
    result = _client("127.0.0.1", str(free_port()))
    assert result.returncode == 1
    assert "refused" in result.stderr.lower()


def _send_then_half_close(sock, data: bytes) -> None:
    sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)


def _client(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "stacklab-recho"), *args], input=stdin, capture_output=True, text=True, timeout=20)


def test_out_of_file_descriptors_backs_off_then_serves(start_server):
    assert_backs_off_while_out_of_fds(start_server, SCRIPT)
