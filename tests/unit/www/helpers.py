"""Helpers for the hand-written HTTP servers' tests: real sockets on 127.0.0.1, responses parsed by http.client.

Every response is parsed with http.client, so a malformed one (a leading blank line, a header without a colon,
LF-only endings, a wrong Content-Length) fails the test, as it failed with the course's originals.
"""

import http.client
import io
import socket
import struct
import time

PREFIX = "tester"  # not the default: proves the servers read ECHO_PREFIX

SCRIPTS = {"hello_www": "stacklab-hello-www", "echo_www": "stacklab-echo-www", "ws30": "stacklab-ws30"}

PORT_ENV = {"hello_www": "HELLO_WWW_PORT", "echo_www": "ECHO_WWW_PORT", "ws30": "WS30_PORT"}

READ_TIMEOUT = 2.0  # the servers' --timeout in these tests: how long a silent client is waited for


class _Replay:
    """Just enough of a socket for http.client.HTTPResponse to parse bytes we already received."""

    def __init__(self, data: bytes):
        self._data = data

    def makefile(self, *_args, **_kwargs):
        return io.BytesIO(self._data)


def parse_response(data: bytes, method: str = "GET") -> tuple[http.client.HTTPResponse, bytes]:
    """Parse raw response bytes strictly; raises http.client errors if they are not valid HTTP."""
    response = http.client.HTTPResponse(_Replay(data), method=method)
    response.begin()
    body = response.read()
    assert response.length in (None, 0), "fewer body bytes than Content-Length"
    return response, body


def request(port: int, path: str, method: str = "GET", headers: dict | None = None, body: bytes | None = None):
    """One request with http.client; returns (response, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def raw_exchange(port: int, data: bytes, half_close: bool = True, timeout: float = 10.0) -> bytes:
    """Send raw bytes, then read everything until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        return recv_to_close(sock)


def recv_to_close(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0, so the peer gets a TCP RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def wait_until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
