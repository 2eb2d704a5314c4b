"""Helpers for the hand-written HTTP servers' tests: real sockets on 127.0.0.1, responses parsed by http.client.

Every response is parsed with http.client, so a malformed one (a leading blank line, a header without a colon,
LF-only endings, a wrong Content-Length) fails the test, as it failed with the course's originals.
"""

import http.client
import io
import socket
import struct
import time
from pathlib import Path

import pytest

from tests.unit.conftest import free_port

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


@pytest.fixture
def start_www(start_server):
    """start_www(name, *flags, env=None, cwd=None) -> a running server on a free port, PREFIX set, short timeout."""

    def start(name: str, *flags: str, env: dict | None = None, cwd: Path | None = None):
        port = free_port()
        argv = [SCRIPTS[name], "--host", "127.0.0.1", "--timeout", str(READ_TIMEOUT), *flags]
        return start_server(argv, port, env={"ECHO_PREFIX": PREFIX, PORT_ENV[name]: str(port), **(env or {})}, cwd=cwd)

    return start


@pytest.fixture
def docroot(tmp_path: Path) -> Path:
    """A known document root for ws30 (course.md §2 item 7), and a secret file just outside it."""
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_text("<!DOCTYPE html><html><head><title>fixture</title></head><body>hi</body></html>")
    (root / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (root / "x.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (root / "doc.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (root / "notes.txt").write_text("some notes\n")
    (root / "style.css").write_text("body { color: black }\n")
    (root / "B.txt").write_text("upper case sorts first\n")
    (root / "with space.txt").write_text("spaced\n")
    (root / "<b>.txt").write_text("markup in a name\n")
    (root / ".hidden").write_text("dotfile\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    (root / "sub" / "inner.txt").write_text("inner\n")
    (tmp_path / "secret.txt").write_text("TOPSECRET\n")
    return root
