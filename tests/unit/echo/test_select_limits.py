"""The select echo server's bounds (issue 14): a maximum number of clients, an idle timeout, and unread output
capped per client, so slow readers and flooders cannot grow the server's memory. Every attack is on 127.0.0.1,
small and fixed in count and size."""

import socket
import threading
from pathlib import Path

from tests.unit.echo.helpers import REPLY, connect, echo_round, recv_to_close, wait_until
from tests.unit.servers import FLOODER, NEWCOMER, connect_from

SCRIPT = "stacklab-echo-select"


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_one_client_over_the_maximum_evicts_the_longest_idle(start_echo):
    """Issue 20: a full room made every newcomer read `server full` until the idle timeout."""
    server = start_echo(SCRIPT, ECHO_MAX_CLIENTS="3")
    server.wait_for_log("closed connection")  # start_server's probe left: no slot is taken
    held = [connect(server.port) for _ in range(3)]
    try:
        for sock in held[1:]:  # held[0] stays silent: the longest idle
            assert echo_round(sock, b"in") == REPLY + b"in"
        with connect(server.port) as newcomer:
            assert echo_round(newcomer, b"new") == REPLY + b"new"
        assert recv_to_close(held[0]) == b"error: server full, closed as the longest idle of 3 connections\n"
        server.wait_for_log("(evicted: longest idle of 3 connections)")
        for sock in held[1:]:
            assert echo_round(sock, b"still") == REPLY + b"still"
    finally:
        for sock in held:
            sock.close()


def test_one_address_over_its_cap_evicts_only_its_own(start_echo):
    server = start_echo(SCRIPT, ECHO_PER_ADDRESS="2")
    server.wait_for_log("closed connection")
    with connect_from(NEWCOMER, server.port) as other:  # the longest idle of all, from another address
        mine = [connect_from(FLOODER, server.port) for _ in range(3)]
        try:
            assert echo_round(mine[2], b"third") == REPLY + b"third"
            why = f"longest idle of the 2 connections from {FLOODER}"
            assert recv_to_close(mine[0]) == f"error: server full, closed as the {why}\n".encode()
            assert echo_round(other, b"untouched") == REPLY + b"untouched"
            assert echo_round(mine[1], b"kept") == REPLY + b"kept"
        finally:
            for sock in mine:
                sock.close()


def test_idle_client_is_closed_and_a_talking_one_is_not(start_echo):
    server = start_echo(SCRIPT, ECHO_IDLE_TIMEOUT="1")
    with connect(server.port) as idle, connect(server.port) as talker:
        client = idle.getsockname()
        closed = False
        for i in range(15):  # an echo every 0.3 s or so is traffic: the talker never reaches the timeout
            assert echo_round(talker, b"%d" % i) == REPLY + b"%d" % i
            if closed := nothing_or_close(idle, 0.3) == "closed":
                break
        assert closed and i >= 2, f"idle client closed after {i} rounds of 0.3 s"
        server.wait_for_log(f"closed connection from {client!r} (idle for 1 s)")
        assert echo_round(talker, b"still") == REPLY + b"still"


def nothing_or_close(sock: socket.socket, wait: float) -> str:
    sock.settimeout(wait)
    try:
        return "closed" if sock.recv(1) == b"" else "data"
    except TimeoutError:
        return "nothing"


def test_max_slow_readers_flooding_are_dropped_and_memory_stays_bounded(start_echo):
    """19 clients that send much and read nothing fill every slot but one; each is dropped at its cap, the
    server's RSS stays far below what they sent, and the client that reads is answered throughout."""
    server = start_echo(SCRIPT, ECHO_MAX_CLIENTS="20", ECHO_MAX_OUTPUT="65536")
    server.wait_for_log("closed connection")  # start_server's probe left: all 20 slots are free
    hogs = []
    for _ in range(19):
        hog = socket.socket()
        hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the kernel holds little for it
        hog.settimeout(5)
        hog.connect(("127.0.0.1", server.port))
        hogs.append(hog)
    outcomes: list[str] = []
    floods = [threading.Thread(target=_flood, args=(hog, outcomes)) for hog in hogs]
    with connect(server.port) as reader:
        for flood in floods:
            flood.start()
        for i in range(20):
            assert echo_round(reader, b"reader %d" % i) == REPLY + b"reader %d" % i
        for flood in floods:
            flood.join(30)
        assert outcomes == ["dropped"] * len(hogs)  # not stuck (a timeout), not ignored (all sent)
        # the server logs a drop just after closing: the last hog can see its reset before the line is written
        assert wait_until(lambda: server.log().count("(dropped: more than 65536 bytes unread)") == len(hogs))
        assert rss_bytes(server.proc.pid) < 60 * 1024 * 1024  # 19 x 8 MiB was sent to it
        assert echo_round(reader, b"after") == REPLY + b"after"
    for hog in hogs:
        hog.close()


def _flood(sock: socket.socket, outcomes: list[str], total: int = 8 << 20) -> None:
    sent = 0
    try:
        while sent < total:
            sent += sock.send(b"f" * 65536)
        outcomes.append("all sent")
    except (BrokenPipeError, ConnectionResetError):
        outcomes.append("dropped")
    except TimeoutError:
        outcomes.append("stuck")
