"""Socket activation (systemd's LISTEN_PID/LISTEN_FDS protocol) for every course socket server, with real
processes: the server serves the socket it is handed instead of binding its own, and a socket held across a restart
queues the clients of the gap instead of refusing them (what the systemd socket units do on a deploy)."""

import shutil
import signal
import socket
import subprocess
import time

import pytest
from stacklab_core.runtime import SHUTTING_DOWN

from tests.unit.echo.helpers import recv_exactly, recv_to_close
from tests.unit.servers import BIN, free_port

PREFIX = "activated"
# console script -> what one exchange sends, and the start of what comes back
SERVERS = {
    "stacklab-echo-server": (b"hi", b"activated: hi"),
    "stacklab-recho-server": (b"hi", b"activated: hi"),
    "stacklab-echo-select": (b"hi", b"activated: hi"),
    "stacklab-chat-server": (b"hi\n", b"activated ('127.0.0.1', "),
    "stacklab-hello-www": (b"GET / HTTP/1.0\r\n\r\n", b"HTTP/1.0 200"),
}


def handed(listener: socket.socket, script: str) -> subprocess.Popen:
    """Start a server the way systemd does: the socket as fd 3, LISTEN_PID its own pid (sh execs it), LISTEN_FDS=1.
    Its own port setting names a port nobody listens on: only the handed socket can answer."""
    unused = str(free_port())
    env_port = {"PORT": unused, "ECHO_PORT": unused, "RECHO_PORT": unused, "ECHO_SELECT_PORT": unused}
    env_port |= {"CHAT_PORT": unused, "HELLO_WWW_PORT": unused}
    shell = f'exec 3<&{listener.fileno()}; LISTEN_PID=$$ LISTEN_FDS=1 exec "$0"'
    return subprocess.Popen(
        ["/bin/bash", "-c", shell, str(BIN / script)],
        pass_fds=[listener.fileno()],
        env={"PATH": "/usr/bin:/bin", "ECHO_PREFIX": PREFIX, "BIND_HOST": "127.0.0.1", **env_port},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def exchange(port: int, send: bytes, expect: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(send)
        return recv_exactly(sock, len(expect), timeout=10)


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=10)


@pytest.fixture
def listener():
    with socket.create_server(("127.0.0.1", 0), backlog=socket.SOMAXCONN) as sock:
        yield sock


@pytest.mark.parametrize("script", sorted(SERVERS))
def test_server_serves_the_socket_it_is_handed(listener, script):
    proc = handed(listener, script)
    try:
        send, expect = SERVERS[script]
        assert exchange(listener.getsockname()[1], send, expect) == expect
    finally:
        assert stop(proc) == 0


@pytest.mark.parametrize("script", ["stacklab-echo-server", "stacklab-echo-select", "stacklab-hello-www"])
def test_a_client_during_a_restart_waits_and_is_served(listener, script):
    """The gap between two servers: the connect succeeds (the socket's queue holds it), the next server answers."""
    send, expect = SERVERS[script]
    port = listener.getsockname()[1]
    first = handed(listener, script)
    assert exchange(port, send, expect) == expect  # up and serving: now restart it
    assert stop(first) == 0
    with socket.create_connection(("127.0.0.1", port), timeout=5) as waiting:  # ECONNREFUSED would raise here
        waiting.sendall(send)
        proc = handed(listener, script)
        try:
            assert recv_exactly(waiting, len(expect), timeout=10) == expect
        finally:
            assert stop(proc) == 0


def test_without_activation_variables_the_server_binds_its_port():
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "stacklab-echo-select"), "--host", "127.0.0.1", "--port", str(port), "--prefix", PREFIX],
        env={"PATH": "/usr/bin:/bin", "LISTEN_PID": "1", "LISTEN_FDS": "1"},  # another process's: not ours
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                assert exchange(port, b"hi", b"activated: hi") == b"activated: hi"
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "the server never listened on its own port"
                time.sleep(0.05)
    finally:
        assert stop(proc) == 0


@pytest.mark.skipif(not shutil.which("systemd-socket-activate"), reason="needs systemd-socket-activate")
def test_systemd_socket_activate_starts_the_server_on_its_socket():
    port = free_port()
    argv = ["systemd-socket-activate", "-l", f"127.0.0.1:{port}", "-E", f"ECHO_PREFIX={PREFIX}"]
    proc = subprocess.Popen(
        [*argv, str(BIN / "stacklab-recho-server")],
        env={"PATH": "/usr/bin:/bin", "ECHO_PREFIX": PREFIX, "RECHO_PORT": str(free_port())},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                    sock.sendall(b"first")
                    assert recv_exactly(sock, 15, timeout=10) == b"activated: first"[:15]
                    proc.send_signal(signal.SIGTERM)  # the client in its turn is told, then closed cleanly
                    assert recv_to_close(sock).endswith(SHUTTING_DOWN)
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "systemd-socket-activate never listened"
                time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait(timeout=10)
