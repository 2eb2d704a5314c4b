"""Concurrent select echo server (course §1.3, checks §2 item 3), on 127.0.0.1."""

import signal
import socket
import threading
import time

import pytest
from stacklab_core.runtime import SHUTTING_DOWN

from tests.unit.echo.helpers import (
    REPLY,
    binary_garbage,
    connect,
    echo_round,
    nothing_arrives,
    recv_exactly,
    recv_to_close,
    reset,
    unprefix,
)

SCRIPT = "stacklab-echo-select"


def test_two_clients_interleaved_each_get_only_their_own_echo(start_echo):
    server = start_echo(SCRIPT)
    with connect(server.port) as a, connect(server.port) as b:
        for message_a, message_b in [(b"a1", b"b1"), (b"a2", b"b2"), (b"a3", b"b3")]:
            a.sendall(message_a)
            b.sendall(message_b)
            assert recv_exactly(a, len(REPLY) + 2, timeout=2) == REPLY + message_a
            assert recv_exactly(b, len(REPLY) + 2, timeout=2) == REPLY + message_b
        assert nothing_arrives(a, 0.2)
        assert nothing_arrives(b, 0.2)


def test_heartbeat_after_idle_seconds(start_echo):
    server = start_echo(SCRIPT, ECHO_HEARTBEAT="1")
    server.wait_for_log("Server running at ", timeout=5)


def test_no_heartbeat_before_ten_idle_seconds(start_echo):
    server = start_echo(SCRIPT)  # the course's 10 s default
    time.sleep(1.5)
    assert "Server running at" not in server.log()


def test_disconnect_is_logged_and_others_keep_being_served(start_echo):
    server = start_echo(SCRIPT)
    with connect(server.port) as stays:
        with connect(server.port) as leaves:
            client = leaves.getsockname()
            echo_round(leaves, b"bye")
        server.wait_for_log(f"closed connection from {client!r}\n")
        assert echo_round(stays, b"still here") == REPLY + b"still here"


def test_logs_accept_and_data(start_echo):
    server = start_echo(SCRIPT)
    with connect(server.port) as sock:
        client = sock.getsockname()
        echo_round(sock, b"logged")
    log = server.wait_for_log(f"closed connection from {client!r}")
    assert f"accepted connection from {client!r}\n" in log
    assert f"{client!r}: logged\n" in log


def test_abrupt_resets_do_not_hurt(start_echo):
    server = start_echo(SCRIPT)
    with connect(server.port) as other:
        quiet = connect(server.port)
        busy = connect(server.port)
        busy.sendall(b"z" * 200_000)
        time.sleep(0.1)
        reset(quiet)
        reset(busy)
        server.wait_for_log("Connection reset by peer")
        assert echo_round(other, b"alive?") == REPLY + b"alive?"


def test_clients_that_send_nothing_do_not_block_others(start_echo):
    server = start_echo(SCRIPT)
    silent = [connect(server.port) for _ in range(20)]
    try:
        with connect(server.port) as talker:
            assert echo_round(talker, b"anyone home", timeout=2) == REPLY + b"anyone home"
        for sock in silent[:10]:
            sock.close()  # connect then close without sending
        assert echo_round(silent[10], b"late") == REPLY + b"late"
    finally:
        for sock in silent:
            sock.close()


def test_binary_garbage_is_echoed_byte_for_byte(start_echo):
    server = start_echo(SCRIPT)
    garbage = binary_garbage(8192)
    with connect(server.port) as sock:
        sock.sendall(garbage)
        sock.shutdown(socket.SHUT_WR)  # the server delivers what it owes, then closes
        assert unprefix(recv_to_close(sock)) == garbage
    assert "\x00" not in server.log()


def test_one_megabyte_input_is_echoed_whole(start_echo):
    server = start_echo(SCRIPT)
    data = binary_garbage(1_000_000)
    with connect(server.port, timeout=20) as sock:
        sender = threading.Thread(target=_send_then_half_close, args=(sock, data), daemon=True)
        sender.start()
        stream = recv_to_close(sock, timeout=20)
        sender.join(5)
    assert unprefix(stream) == data


def test_client_that_never_reads_is_dropped_and_others_are_served(start_echo):
    server = start_echo(SCRIPT, ECHO_MAX_OUTPUT="65536")
    hog = socket.socket()
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fill the kernel's buffers quickly
    hog.settimeout(5)
    hog.connect(("127.0.0.1", server.port))
    with hog, connect(server.port) as other:
        sent = 0
        with pytest.raises((BrokenPipeError, ConnectionResetError)):  # not TimeoutError: dropped, not stuck
            while sent < 200_000_000:
                sent += hog.send(b"h" * 65536)
        server.wait_for_log("more than 65536 bytes unread")
        assert echo_round(other, b"unaffected") == REPLY + b"unaffected"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly(start_echo, sig):
    server = start_echo(SCRIPT)
    with connect(server.port) as sock:
        echo_round(sock, b"connected")
        server.proc.send_signal(sig)
        assert server.proc.wait(timeout=5) == 0
        # the server told its clients on the way out, then closed cleanly (a reset would raise here)
        assert recv_to_close(sock) == SHUTTING_DOWN
    assert "echo_server shutting down" in server.log()


def _send_then_half_close(sock: socket.socket, data: bytes) -> None:
    sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)
