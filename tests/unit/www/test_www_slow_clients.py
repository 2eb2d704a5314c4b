"""Slow and idle clients against the three hand-written servers (issue 14): request heads are read by one
selector loop, so they never take a worker, and when too many heads are being read the slowest is dropped.
Every attack is on 127.0.0.1, fixed in count, and ends with the test."""

import socket
import time

import pytest

from tests.unit.servers import NEWCOMER, connect_from, ensure_fd_limit, idle_flood
from tests.unit.www.helpers import READ_TIMEOUT, parse_response, recv_to_close, request

SERVERS = ["hello_www", "echo_www", "ws30"]


def slow_clients(port: int, count: int) -> list[socket.socket]:
    """`count` connections that each sent the start of a request head and not its end."""
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        socks.append(sock)
    return socks


def closed_unanswered(sock: socket.socket) -> bool:
    try:
        return recv_to_close(sock) == b""
    except ConnectionResetError:  # closed with its head unread: the kernel resets
        return True


def timed_request(port: int) -> tuple[int, float]:
    started = time.monotonic()
    response, _ = request(port, "/")
    return response.status, time.monotonic() - started


@pytest.mark.parametrize("name", SERVERS)
def test_a_slow_header_client_does_not_take_the_only_worker(start_www, name):
    server = start_www(name, "--max-clients", "1")
    [slow] = slow_clients(server.port, 1)
    with slow:
        status, took = timed_request(server.port)
        assert status == 200 and took < READ_TIMEOUT  # answered before the slow one timed out
        assert parse_response(recv_to_close(slow))[0].status == 408  # then the slow one had its answer


@pytest.mark.parametrize("name", SERVERS)
def test_page_served_while_256_slow_header_clients_trickle(start_www, name):
    ensure_fd_limit(256 + 100)
    server = start_www(name, "--per-address", "1024")  # the cap in all is the subject: one address may fill it
    slow = slow_clients(server.port, 256)
    try:
        for round_ in range(3):
            for sock in slow:  # one more header line each: still no end of head
                sock.sendall(b"X-Trickle-%d: y\r\n" % round_)
            status, took = timed_request(server.port)
            assert status == 200, "the course's design answered 503 here: every slot held by a slow client"
            assert took < READ_TIMEOUT
        assert "dropped" not in server.log()  # 256 heads are well under --max-connections
    finally:
        for sock in slow:
            sock.close()


@pytest.mark.parametrize("name", SERVERS)
def test_over_max_connections_the_slowest_head_is_dropped(start_www, name):
    server = start_www(name, "--max-connections", "4")
    server.wait_for_log('"-" 400')  # start_server's probe connection was answered: it is not being read
    slow = slow_clients(server.port, 4)
    try:
        assert timed_request(server.port)[0] == 200  # a fifth connection: the oldest made room
        assert closed_unanswered(slow[0])
        server.wait_for_log('"-" dropped: slowest head, longest idle of 4 connections')
        assert server.log().count("dropped") == 1
    finally:
        for sock in slow:
            sock.close()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", SERVERS)
def test_page_served_within_a_second_during_two_thousand_idle_connections(start_www, name):
    """Issue 20: 2,000 idle connections from one address (heads kept for 30 s); a client from another address is
    answered within a second. Figures are in bench/attacks.py."""
    server = start_www(name, "--timeout", "30")
    with idle_flood(server.port):
        for _ in range(3):
            started = time.monotonic()
            with connect_from(NEWCOMER, server.port, timeout=1) as sock:
                sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
                response, _ = parse_response(recv_to_close(sock))
            assert (response.status, time.monotonic() - started < 1) == (200, True)
        assert server.alive()
