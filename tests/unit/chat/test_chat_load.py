"""Load: 200 chat clients at once, each sending; every client gets every message, in one global order."""

import selectors
import socket
import time

import pytest

from tests.unit.chat.helpers import PREFIX
from tests.unit.servers import ensure_fd_limit, free_port, under_soft_fd_limit

CLIENTS = 200
MESSAGES = 3  # per client: 600 messages, 120,000 deliveries


@pytest.mark.timeout(60)
def test_two_hundred_clients_all_get_every_message_in_the_same_order(start_server):
    ensure_fd_limit(CLIENTS + 100)
    # Start it with a soft limit below 200 open files: the server must lift it to the hard limit itself.
    port = free_port()
    argv = under_soft_fd_limit(128, "stacklab-chat-server", "--port", str(port))
    server = start_server(argv, port, env={"ECHO_PREFIX": PREFIX})
    socks = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(CLIENTS)]
    try:
        deadline = time.monotonic() + 10
        while (accepted := server.log().count("accepted connection from")) <= CLIENTS and time.monotonic() < deadline:
            time.sleep(0.05)  # everyone must be in the room before the first message, or it misses some
        assert accepted == CLIENTS + 1, f"the server accepted {accepted - 1} of {CLIENTS} (+ the fixture's probe)"
        tags = [f"{PREFIX} {sock.getsockname()!r}: ".encode() for sock in socks]
        received = _talk(socks)
        first = received[socks[0]]
        assert len(first) == CLIENTS * MESSAGES, f"{len(first)} of {CLIENTS * MESSAGES} messages"
        short = [len(lines) for lines in received.values() if len(lines) != len(first)]
        assert not short, f"clients got {short} messages instead of {len(first)}"
        assert all(lines == first for lines in received.values()), "clients saw different orders"
        for tag in tags:
            own = [line for line in first if line.startswith(tag)]
            assert own == [tag + f"round {r}".encode() for r in range(MESSAGES)]
        assert server.alive()
    finally:
        for sock in socks:
            sock.close()


def _talk(socks: list[socket.socket]) -> dict[socket.socket, list[bytes]]:
    """Every client says MESSAGES lines, round by round, while all of them read; return each one's lines."""
    expected = len(socks) * MESSAGES
    buffers = {sock: bytearray() for sock in socks}
    with selectors.DefaultSelector() as selector:
        for sock in socks:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
        rounds_sent = 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if rounds_sent < MESSAGES:
                for sock in socks:  # short lines: the kernel takes each at once
                    sock.send(f"round {rounds_sent}\n".encode())
                rounds_sent += 1
            for key, _ in selector.select(timeout=0.5):
                data = key.fileobj.recv(262144)
                if not data:
                    selector.unregister(key.fileobj)
                buffers[key.fileobj] += data
            if rounds_sent == MESSAGES and all(buf.count(b"\n") >= expected for buf in buffers.values()):
                break
    return {sock: [line.removesuffix(b"\n") for line in buf.splitlines(keepends=True)] for sock, buf in buffers.items()}
