"""The chat server's bounds (issue 14): a maximum number of clients, an idle timeout, and unread output capped
per client, so slow readers and a flooder cannot grow the server's memory while the others keep receiving.
Every attack is on 127.0.0.1, small and fixed in count and size."""

import socket
import time
from pathlib import Path

from tests.unit.chat.helpers import PREFIX, Peer
from tests.unit.servers import NEWCOMER, connect_from, idle_flood


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_one_client_over_the_maximum_evicts_the_longest_idle(start_chat):
    """Issue 20: a full room made every newcomer read `server full` until the idle timeout."""
    server = start_chat(CHAT_MAX_CLIENTS="2")
    server.wait_for_log("closed connection")  # start_server's probe left: no slot is taken
    with Peer(server.port) as a, Peer(server.port) as b:
        server.wait_for_log(f"accepted connection from {b.addr!r}")
        with Peer(server.port) as newcomer:  # a, the first in, is the longest idle: it makes room
            assert a.line() == b"error: server full, closed as the longest idle of 2 connections\n"
            assert a.closed_by_server()
            newcomer.say(b"in now")
            assert b.line() == newcomer.line() == newcomer.tag(b"in now")
        server.wait_for_log(f"closed connection from {a.addr!r} (evicted: longest idle of 2 connections)")


def test_silent_client_is_closed_after_the_idle_timeout(start_chat):
    server = start_chat(CHAT_IDLE_TIMEOUT="1")
    with Peer(server.port) as silent:
        assert silent.closed_by_server(timeout=4)
    server.wait_for_log(f"closed connection from {silent.addr!r} (idle for 1 s)")


def test_a_client_that_only_listens_to_a_lively_room_is_not_idle(start_chat):
    server = start_chat(CHAT_IDLE_TIMEOUT="1")
    with Peer(server.port) as talker, Peer(server.port) as listener:
        for i in range(8):  # ~2.4 s: the listener never sends, but it receives (traffic) every 0.3 s
            talker.say(b"%d" % i)
            assert listener.line() == talker.tag(b"%d" % i)
            assert talker.line() == talker.tag(b"%d" % i)
            assert listener.silent_for(0.3)
        assert "(idle for" not in server.log()


def test_max_slow_readers_and_a_flooder_leave_memory_bounded_and_readers_served(start_chat):
    """18 clients that never read fill every slot but the flooder's and one reader's; the flooder's 10 MB go to
    all: each slow reader is dropped at its cap, the server's RSS stays bounded, the reader gets every line."""
    server = start_chat(CHAT_MAX_CLIENTS="20", CHAT_MAX_OUTPUT="65536")
    server.wait_for_log("closed connection")  # start_server's probe left: all 20 slots are free
    slow = []
    for _ in range(18):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the kernel holds little for it
        sock.settimeout(5)
        sock.connect(("127.0.0.1", server.port))
        slow.append(sock)
    try:
        with Peer(server.port) as flooder, Peer(server.port) as reader:
            for batch in range(100):
                lines = [f"{batch}.{i} ".encode() + b"x" * 10_000 for i in range(10)]
                flooder.sock.sendall(b"".join(line + b"\n" for line in lines))
                assert reader.lines(10, timeout=5) == [flooder.tag(line) for line in lines], f"batch {batch}"
                assert len(flooder.lines(10, timeout=5)) == 10
            assert server.log().count("(dropped: more than 65536 bytes unread)") == len(slow)
            assert rss_bytes(server.proc.pid) < 60 * 1024 * 1024  # 18 x 10 MB were addressed to slow readers
    finally:
        for sock in slow:
            sock.close()


def test_a_flood_from_one_address_leaves_room_for_another(start_chat):
    """Issue 20: 2,000 idle connections from one address filled the 256 places; a newcomer read `server full`."""
    server = start_chat()
    with idle_flood(server.port):
        started = time.monotonic()
        with connect_from(NEWCOMER, server.port, timeout=1) as sock:
            sock.sendall(b"newcomer\n")
            expected = f"{PREFIX} {sock.getsockname()!r}: newcomer\n".encode()
            assert recv_until(sock, expected, timeout=1).endswith(expected)
        assert time.monotonic() - started < 1
        assert server.alive()


def recv_until(sock: socket.socket, wanted: bytes, timeout: float) -> bytes:
    """What arrives until `wanted` is at its end, the peer closes, or `timeout` passes."""
    deadline, data = time.monotonic() + timeout, b""
    while not data.endswith(wanted) and (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            break
        data += chunk
    return data
