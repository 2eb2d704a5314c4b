"""Fixtures for the web-client tests: the course page served by ws30, and a local JSON API. Only 127.0.0.1."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from tests.unit.servers import free_port
from tests.unit.webclient.helpers import REPOS_DOCUMENT, TIME_DOCUMENT


@pytest.fixture
def site(start_server):
    """Base URL of ws30 serving the demo document root (the course page is at winter_2012/index.html)."""
    port = free_port()
    start_server(["stacklab-ws30", "--host", "127.0.0.1", "--port", str(port), "--demo"], port)
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def site_of(start_server):
    """site_of(root) -> base URL of ws30 serving that folder."""

    def start(root):
        port = free_port()
        start_server(["stacklab-ws30", "--host", "127.0.0.1", "--port", str(port), "--root", str(root)], port)
        return f"http://127.0.0.1:{port}"

    return start


class _ApiHandler(BaseHTTPRequestHandler):
    ROUTES: ClassVar[dict[str, tuple[int, str, bytes]]] = {
        "/time.json": (200, "application/json", json.dumps(TIME_DOCUMENT).encode()),
        "/repos/show/jon-jacky": (200, "application/json; charset=utf-8", json.dumps(REPOS_DOCUMENT).encode()),
        "/list.json": (200, "application/json", b"[1, 2, 3]"),
        "/page.html": (200, "text/html", b"<html><body>not json</body></html>"),
        "/broken.json": (200, "application/json", b'{"truncated": '),
        "/error.json": (500, "application/json", b'{"error": "boom"}'),
    }

    def do_GET(self):
        status, content_type, body = self.ROUTES.get(self.path, (404, "text/plain", b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):  # keep pytest's output clean
        pass


@pytest.fixture
def api_server():
    """Base URL of a local JSON API (the test's own stand-in server)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ApiHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)
