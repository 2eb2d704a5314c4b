"""Client-side helpers for the echo servers' tests: real sockets on 127.0.0.1, every wait bounded."""

import socket
import struct
import time

from tests.unit.servers import assert_not_spinning, free_fds, free_port, under_soft_fd_limit

PREFIX = "tester"  # not the default: proves the servers read ECHO_PREFIX

REPLY = PREFIX.encode() + b": "

# console script -> the env var naming its port
PORT_ENV = {
    "stacklab-echo-server": "ECHO_PORT",
    "stacklab-recho-server": "RECHO_PORT",
    "stacklab-echo-select": "ECHO_SELECT_PORT",
}


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def recv_exactly(sock: socket.socket, size: int, timeout: float = 5.0) -> bytes:
    """Read until `size` bytes came, the peer closed, or `timeout` passed; return what came."""
    deadline = time.monotonic() + timeout
    data = bytearray()
    while len(data) < size:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(size - len(data))
        except TimeoutError:
            break
        if not chunk:
            break
        data += chunk
    return bytes(data)


def echo_round(sock: socket.socket, message: bytes, timeout: float = 5.0) -> bytes:
    """Send `message`, return the reply of its echo's length (`PREFIX: message` when all is well)."""
    sock.sendall(message)
    return recv_exactly(sock, len(REPLY + message), timeout)


def recv_to_close(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Read until the peer closes; fail if it does not close within `timeout`."""
    deadline = time.monotonic() + timeout
    data = bytearray()
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"the server did not close the connection within {timeout}s (got {bytes(data[:80])!r})"
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        if not chunk:
            return bytes(data)
        data += chunk


def nothing_arrives(sock: socket.socket, wait: float) -> bool:
    """True if no byte arrives (and the peer does not close) within `wait` seconds."""
    sock.settimeout(wait)
    try:
        sock.recv(1)
    except TimeoutError:
        return True
    return False


def reset(sock: socket.socket) -> None:
    """Close abruptly: SO_LINGER 0 makes the kernel send RST instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def unprefix(stream: bytes) -> bytes:
    """What a chunk-by-chunk echo stream carried, each chunk's `PREFIX: ` removed (data must not contain it)."""
    assert stream.startswith(REPLY), stream[:80]
    return stream.replace(REPLY, b"")


def binary_garbage(size: int) -> bytes:
    """Every byte value, NULs and invalid UTF-8 included, never forming `PREFIX: `."""
    return (bytes(range(256)) * (size // 256 + 1))[:size]


def wait_until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def assert_backs_off_while_out_of_fds(start_server, script: str) -> None:
    """Started with no file descriptor to spare, the server cannot accept a queued client (EMFILE): it must wait,
    not spin, log the pause once, and serve the client as soon as descriptors are free again."""
    port = free_port()
    # 0-2 are stdio and 3 the listener: under a soft limit of 4, accept has no descriptor left for a client.
    argv = under_soft_fd_limit(4, script, "--host", "127.0.0.1", "--port", str(port))
    server = start_server(argv, port, env={"ECHO_PREFIX": PREFIX})  # its probe connection waits in the backlog
    pid = server.proc.pid
    with connect(server.port) as queued:
        server.wait_for_log("accept paused: Too many open files")
        assert_not_spinning(pid)
        assert server.log().count("accept paused") == 1
        free_fds(pid)
        queued.sendall(b"after the pause")
        assert recv_exactly(queued, len(REPLY + b"after the pause")) == REPLY + b"after the pause"
    server.wait_for_log("accept resumed")
