"""Load: 1,000 clients connected to the select echo server at once, each getting exactly its own echo. They come
from four loopback addresses, as a crowd comes from many: one address may hold 256 (stacklab_core.crowd)."""

import selectors
import time

import pytest

from tests.unit.echo.helpers import PREFIX, REPLY
from tests.unit.servers import connect_from, ensure_fd_limit, free_port, under_soft_fd_limit

CLIENTS = 1000


@pytest.mark.timeout(60)
def test_thousand_simultaneous_clients_each_get_their_own_echo(start_server):
    ensure_fd_limit(CLIENTS + 100)
    # Start it with a soft limit far below 1,000 open files: the server must lift it to the hard limit itself.
    port = free_port()
    argv = under_soft_fd_limit(256, "stacklab-echo-select", "--port", str(port))
    server = start_server(argv, port, env={"ECHO_PREFIX": PREFIX})
    socks = []
    try:
        for i in range(CLIENTS):  # all stay open until every one has its answer
            socks.append(connect_from(f"127.0.0.{1 + i % 4}", server.port, timeout=10))
        expected, got = {}, {}
        with selectors.DefaultSelector() as selector:
            for i, sock in enumerate(socks):
                message = f"client {i} from port {sock.getsockname()[1]}".encode()
                sock.sendall(message)
                sock.setblocking(False)
                expected[sock], got[sock] = REPLY + message, bytearray()
                selector.register(sock, selectors.EVENT_READ)
            waiting = set(socks)
            deadline = time.monotonic() + 30
            while waiting and time.monotonic() < deadline:
                for key, _ in selector.select(timeout=1):
                    sock = key.fileobj
                    data = sock.recv(4096)
                    got[sock] += data
                    if not data or len(got[sock]) >= len(expected[sock]):
                        selector.unregister(sock)
                        waiting.discard(sock)
        assert not waiting, f"{len(waiting)} clients got no complete answer within 30 s"
        wrong = [sock for sock in socks if got[sock] != expected[sock]]
        assert not wrong, f"{len(wrong)} wrong answers, e.g. {bytes(got[wrong[0]])!r} for {expected[wrong[0]]!r}"
        assert server.log().count("accepted connection from") >= CLIENTS
        assert server.alive()
    finally:
        for sock in socks:
            sock.close()
