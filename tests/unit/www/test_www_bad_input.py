"""Bad clients, one test each, against all three hand-written servers: none of them crashes or hangs.

The course's echo_www died on an empty request (IndexError) and ws30 on a request line without exactly three
tokens (course.md §4 item 11).
"""

import socket
import threading
import time

import pytest

from tests.unit.www.helpers import (
    READ_TIMEOUT,
    parse_response,
    raw_exchange,
    recv_to_close,
    request,
    reset,
)

SERVERS = ["hello_www", "echo_www", "ws30"]


def assert_serves(server):
    response, _ = request(server.port, "/")
    assert response.status == 200
    assert server.alive()


@pytest.mark.parametrize("name", SERVERS)
def test_abrupt_reset_mid_request(start_www, name):
    server = start_www(name)
    for _ in range(5):
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(b"GET /partial HTTP/1.1\r\nHost: x\r\n")
        reset(sock)
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
    reset(sock)  # gone before the answer: the server's write fails, and that must not matter
    assert_serves(server)


@pytest.mark.parametrize("name", SERVERS)
def test_silent_client_neither_blocks_others_nor_stays_forever(start_www, name):
    server = start_www(name)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as idle:
        started = time.monotonic()
        assert_serves(server)  # while the idle client is connected
        assert time.monotonic() - started < READ_TIMEOUT  # served before the idle client timed out
        data = recv_to_close(idle)
        waited = time.monotonic() - started
    assert READ_TIMEOUT * 0.5 <= waited < READ_TIMEOUT + 3
    assert parse_response(data)[0].status == 408


@pytest.mark.parametrize("name", SERVERS)
def test_one_megabyte_request_line(start_www, name):
    server = start_www(name)
    data = raw_exchange(server.port, b"GET /" + b"a" * 1024 * 1024 + b" HTTP/1.1\r\n\r\n", half_close=False)
    assert parse_response(data)[0].status in (400, 431)
    assert_serves(server)


@pytest.mark.parametrize("name", SERVERS)
def test_one_megabyte_of_headers(start_www, name):
    server = start_www(name)
    headers = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"b" * 1000) for i in range(1024))
    data = raw_exchange(server.port, b"GET / HTTP/1.1\r\n" + headers + b"\r\n", half_close=False)
    assert parse_response(data)[0].status in (400, 431)
    assert_serves(server)


@pytest.mark.parametrize("name", SERVERS)
def test_binary_garbage(start_www, name):
    server = start_www(name)
    garbage = bytes(range(255, -1, -1)) * 4 + b"\r\n\r\n"
    assert parse_response(raw_exchange(server.port, garbage))[0].status == 400
    assert_serves(server)


MALFORMED = {
    "empty line": b"\r\n\r\n",
    "one token": b"GET\r\n\r\n",
    "two tokens": b"GET /\r\n\r\n",
    "four tokens": b"GET / HTTP/1.1 extra\r\n\r\n",
    "not HTTP": b"GET / FTP/1.0\r\n\r\n",
    "HTTP/2 text": b"GET / HTTP/2.0\r\n\r\n",
    "tab separated": b"GET\t/\tHTTP/1.1\r\n\r\n",
    "control in target": b"GET /a\x01b HTTP/1.1\r\n\r\n",
    "header without colon": b"GET / HTTP/1.1\r\nNoColonHere\r\n\r\n",
    "non-ASCII header": b"GET / HTTP/1.1\r\nX: \xff\xfe\r\n\r\n",
    "closed mid-head": b"GET / HTTP/1.1\r\nHost: x\r\n",
}


@pytest.mark.parametrize("name", SERVERS)
@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_request(start_www, name, raw):
    server = start_www(name)
    response, _ = parse_response(raw_exchange(server.port, raw))
    assert response.status == 400
    assert_serves(server)


@pytest.mark.parametrize("name", SERVERS)
def test_many_clients_at_once(start_www, name):
    server = start_www(name)
    statuses = []

    def client():
        statuses.append(request(server.port, "/")[0].status)

    threads = [threading.Thread(target=client) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert statuses == [200] * 20


@pytest.mark.parametrize("name", SERVERS)
def test_connect_and_close_without_a_request(start_www, name):
    server = start_www(name)
    for _ in range(10):
        socket.create_connection(("127.0.0.1", server.port)).close()
    assert_serves(server)
