"""One-shot echo server (course §1.1, checks §2 item 1) and its client, on 127.0.0.1."""

import signal
import subprocess
import sys
import time

import pytest
from stacklab_echo.echo_server import MAX_HANDLERS

from tests.unit.echo.helpers import (
    PREFIX,
    REPLY,
    assert_backs_off_while_out_of_fds,
    binary_garbage,
    connect,
    nothing_arrives,
    recv_exactly,
    recv_to_close,
    reset,
    wait_until,
)
from tests.unit.servers import BIN, ensure_fd_limit, free_port, run_on_taken_port, threads

SCRIPT = "stacklab-echo-server"


def test_replies_prefix_and_data_once_then_closes(start_echo):
    server = start_echo(SCRIPT)
    with connect(server.port) as sock:
        sock.sendall(b"Hello, world")
        assert recv_to_close(sock) == REPLY + b"Hello, world"  # recv_to_close: the following recv returned b""


def test_serves_many_sequential_clients(start_echo):
    server = start_echo(SCRIPT)
    for i in range(50):
        with connect(server.port) as sock:
            sock.sendall(f"message {i}".encode())
            assert recv_to_close(sock) == REPLY + f"message {i}".encode()


def test_logs_sender_tuple_and_data(start_echo):
    server = start_echo(SCRIPT)
    with connect(server.port) as sock:
        client = sock.getsockname()
        sock.sendall(b"Hello, world")
        recv_to_close(sock)
    server.wait_for_log(f"from {client!r}: Hello, world\n")


def test_default_prefix_is_the_courses(start_server):
    port = free_port()
    server = start_server([SCRIPT, "--port", str(port)], port, env={"ECHO_PREFIX": ""})
    with connect(server.port) as sock:
        sock.sendall(b"hi")
        assert recv_to_close(sock) == b"uw-student: hi"


def test_prefix_flag_beats_env(start_server):
    port = free_port()
    server = start_server([SCRIPT, "--port", str(port), "--prefix", "octocat"], port, env={"ECHO_PREFIX": PREFIX})
    with connect(server.port) as sock:
        sock.sendall(b"hi")
        assert recv_to_close(sock) == b"octocat: hi"


def test_message_longer_than_1024_bytes_is_truncated_by_the_single_read(start_echo):
    server = start_echo(SCRIPT)
    message = b"x" * 2000
    with connect(server.port) as sock:
        sock.sendall(message)
        reply = recv_to_close(sock)
    assert reply.startswith(REPLY)
    echoed = reply[len(REPLY) :]
    assert 0 < len(echoed) <= 1024
    assert message.startswith(echoed)


def test_connect_and_close_without_sending_gets_logged_and_server_lives(start_echo):
    server = start_echo(SCRIPT)
    with connect(server.port) as silent:
        client = silent.getsockname()
    server.wait_for_log(f"from {client!r}: \n")
    with connect(server.port) as sock:
        sock.sendall(b"still there?")
        assert recv_to_close(sock) == REPLY + b"still there?"


def test_silent_client_does_not_block_others_and_times_out(start_echo):
    server = start_echo(SCRIPT, ECHO_TIMEOUT="1")
    with connect(server.port) as silent:
        started = time.monotonic()
        for i in range(5):  # served while the silent client holds its connection
            with connect(server.port) as sock:
                sock.sendall(f"other {i}".encode())
                assert recv_to_close(sock, timeout=2) == REPLY + f"other {i}".encode()
        assert recv_to_close(silent, timeout=5) == b""  # the server gave up on it
        assert time.monotonic() - started < 5
    server.wait_for_log("nothing received within 1 s")


def test_abrupt_resets_do_not_hurt(start_echo):
    server = start_echo(SCRIPT)
    reset(connect(server.port))  # before sending
    sock = connect(server.port)
    sock.sendall(b"x" * 5000)  # more than one read, so the server is still busy with it
    reset(sock)  # without reading the reply
    time.sleep(0.2)
    assert server.alive()
    with connect(server.port) as sock:
        sock.sendall(b"after resets")
        assert recv_to_close(sock) == REPLY + b"after resets"


def test_binary_garbage_is_echoed_byte_for_byte_and_logged_on_one_line(start_echo):
    server = start_echo(SCRIPT)
    garbage = binary_garbage(1024)
    with connect(server.port) as sock:
        client = sock.getsockname()
        sock.sendall(garbage)
        assert recv_to_close(sock) == REPLY + garbage
    log = server.wait_for_log(f"from {client!r}: ")
    line = next(line for line in log.splitlines() if line.startswith(f"from {client!r}"))
    assert "\\x00\\x01\\x02" in line
    assert "\x00" not in log
    assert "... [1024 bytes]" in line  # shortened for the log


def test_one_megabyte_input_gets_the_first_read_echoed(start_echo):
    server = start_echo(SCRIPT)
    message = b"y" * 1_000_000
    with connect(server.port, timeout=10) as sock:
        sock.sendall(message)
        reply = recv_to_close(sock, timeout=10)
    assert reply.startswith(REPLY)
    assert 0 < len(reply) - len(REPLY) <= 1024
    assert server.alive()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly(start_echo, sig):
    server = start_echo(SCRIPT)
    silent = connect(server.port)  # a handler thread is waiting on it: must not hold the exit
    try:
        server.proc.send_signal(sig)  # not server.stop(): that closes the log before we can read it
        # FINISH_SECONDS (3 s) for the silent one, then the exit: 10 s, as the other stops, for a loaded machine
        assert server.proc.wait(timeout=10) == 0
    finally:
        silent.close()
    assert "echo_server shutting down" in server.log()


@pytest.mark.parametrize(
    ("module", "banner"),
    [("echo_server", "echo_server"), ("recho_server", "recho_server"), ("select_server", "echo_server")],
)
def test_runs_as_python_module(start_server, module, banner):
    port = free_port()
    server = start_server([sys.executable, "-m", f"stacklab_echo.{module}", "--port", str(port)], port)
    with connect(port) as sock:
        sock.sendall(b"module")
        assert recv_exactly(sock, 18) == b"uw-student: module"
    assert f"{banner} listening on port {port}" in server.log()


def test_positional_port_as_in_the_course(start_server):
    port = free_port()
    start_server([SCRIPT, str(port)], port)
    with connect(port) as sock:
        sock.sendall(b"positional")
        assert recv_to_close(sock) == b"uw-student: positional"


def test_client_with_message_flag_prints_the_reply(start_echo):
    server = start_echo(SCRIPT)
    result = _client("127.0.0.1", str(server.port), "-m", "Hello, world")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"from (127.0.0.1,{server.port}) {PREFIX}: Hello, world\n"


def test_client_prompts_for_the_message(start_echo):
    server = start_echo(SCRIPT)
    result = _client("127.0.0.1", str(server.port), stdin="typed line\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"> from (127.0.0.1,{server.port}) {PREFIX}: typed line\n"


def test_client_reports_connection_refused():
    port = free_port()  # nothing listens there
    result = _client("127.0.0.1", str(port), "-m", "anyone?")
    assert result.returncode == 1
    assert "refused" in result.stderr.lower()


def test_silent_client_still_gets_its_reply_and_nobody_waits(start_echo):
    """The course's server blocked in recv: here a silent peer and a talker are served side by side."""
    server = start_echo(SCRIPT)
    with connect(server.port) as silent, connect(server.port) as talker:
        talker.sendall(b"first")
        assert recv_to_close(talker, timeout=2) == REPLY + b"first"
        assert nothing_arrives(silent, 0.3)
        silent.sendall(b"late")
        assert recv_to_close(silent, timeout=2) == REPLY + b"late"


def _client(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "stacklab-echo-client"), *args], input=stdin, capture_output=True, text=True, timeout=20
    )


@pytest.mark.parametrize("script", ["stacklab-echo-server", "stacklab-recho-server", "stacklab-echo-select"])
def test_port_in_use_is_one_clear_error(script):
    port, result = run_on_taken_port(script)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1 port {port}: Address already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_setting_is_one_clear_error():
    result = subprocess.run(
        [str(BIN / SCRIPT)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=10,
        env={"PATH": "/usr/bin:/bin", "ECHO_PORT": "fifty"},
    )
    assert result.returncode == 1
    assert "ECHO_PORT='fifty' is not a number" in result.stderr
    assert "Traceback" not in result.stderr


def test_over_the_handler_cap_the_oldest_silent_connection_makes_room(start_echo):
    ensure_fd_limit(MAX_HANDLERS + 200)
    # The cap in all is the subject: one address may hold every handler here (ECHO_PER_ADDRESS).
    server = start_echo(SCRIPT, ECHO_TIMEOUT="60", ECHO_PER_ADDRESS=str(MAX_HANDLERS))
    pid = server.proc.pid
    assert wait_until(lambda: threads(pid) == 1), "start_server's probe connection is still being served"
    holders = [connect(server.port) for _ in range(MAX_HANDLERS)]  # silent: each holds a handler
    try:
        assert wait_until(lambda: threads(pid) == 1 + MAX_HANDLERS, timeout=20)
        with connect(server.port) as newcomer:
            newcomer.sendall(b"new")
            assert recv_to_close(newcomer) == REPLY + b"new"
        assert recv_to_close(holders[0]) == b""  # the oldest silent one was closed unanswered
        why = f"evicted, silent, the longest idle of the {MAX_HANDLERS} connections from 127.0.0.1"
        server.wait_for_log(f"from {holders[0].getsockname()!r}: {why}")
        holders[1].sendall(b"held")  # the others still have their handler
        assert recv_to_close(holders[1]) == REPLY + b"held"
        assert wait_until(lambda: threads(pid) == MAX_HANDLERS - 1, timeout=15), "finished handlers did not go away"
    finally:
        for holder in holders:
            holder.close()


def test_trickling_client_loses_its_handler_after_a_bounded_total_time(start_echo):
    """A byte every 0.1 s after its message: each read is quick, but the handler's linger ends in 2 s in all
    (the course's drain gave it 1 s per read and up to 1 MiB: hours at this pace)."""
    server = start_echo(SCRIPT)
    with connect(server.port) as trickler:
        trickler.sendall(b"hello")
        assert recv_exactly(trickler, len(REPLY) + 5) == REPLY + b"hello"
        started = time.monotonic()
        with pytest.raises((BrokenPipeError, ConnectionResetError)):  # the server closed with our bytes unread
            while time.monotonic() - started < 10:
                trickler.sendall(b"x")
                time.sleep(0.1)  # the attack's pace
        assert time.monotonic() - started < 5
    pid = server.proc.pid
    assert wait_until(lambda: threads(pid) == 1), "the handler is still there"


@pytest.mark.timeout(120)
def test_a_client_is_answered_during_two_thousand_silent_connections(start_echo):
    """Flood figures are in bench/attacks.py; here only the behaviour, with a generous bound."""
    flood = 2000
    ensure_fd_limit(flood + 200)
    server = start_echo(SCRIPT)
    socks = []
    try:
        for _ in range(flood):
            socks.append(connect(server.port, timeout=10))
        for attempt in range(3):
            with connect(server.port) as client:
                started = time.monotonic()
                client.sendall(b"normal %d" % attempt)
                assert recv_to_close(client, timeout=10) == REPLY + b"normal %d" % attempt
                assert time.monotonic() - started < 5
        assert "evicted, silent, the longest idle of the 256 connections from 127.0.0.1" in server.log()
        assert server.alive()
    finally:
        for sock in socks:
            sock.close()


def test_out_of_file_descriptors_backs_off_then_serves(start_server):
    assert_backs_off_while_out_of_fds(start_server, SCRIPT)
