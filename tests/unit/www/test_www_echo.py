"""echo_www (course §1.7, checks §2 item 6): the page echoes the raw request target after the prefix."""

import pytest

from tests.unit.servers import free_port
from tests.unit.www.helpers import PREFIX, parse_response, raw_exchange, request


@pytest.mark.parametrize("target", ["/hello", "/a/b?x=1", "/favicon.ico", "/"])
def test_echoes_the_raw_target(start_www, target):
    server = start_www("echo_www")
    response, body = request(server.port, target)
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/html")
    assert f"{PREFIX}: {target}".encode() in body


def test_target_is_not_url_decoded(start_www):
    server = start_www("echo_www")
    _, body = request(server.port, "/a%20b")
    assert f"{PREFIX}: /a%20b".encode() in body


def test_status_line_is_valid(start_www):
    server = start_www("echo_www")
    data = raw_exchange(server.port, b"GET /hello HTTP/1.0\r\n\r\n")
    assert data.startswith(b"HTTP/1.0 200 OK\r\n")
    assert parse_response(data)[0].status == 200


def test_script_in_path_is_escaped(start_www):
    server = start_www("echo_www")
    response, body = request(server.port, "/<script>alert(1)</script>?q=\"'&")
    assert response.status == 200
    assert b"<script>" not in body
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;?q=&quot;&#x27;&amp;" in body


def test_empty_connection_does_not_kill_it(start_www):
    server = start_www("echo_www")
    response, body = parse_response(raw_exchange(server.port, b""))
    assert (response.status, body) == (400, b"400 empty request\n")
    assert request(server.port, "/still")[0].status == 200
    assert server.alive()


def test_runs_as_python_module(start_server):
    port = free_port()
    start_server(["python", "-m", "stacklab_www.echo_www", "--host", "127.0.0.1", "--port", str(port)], port)
    assert b": /mod" in request(port, "/mod")[1]
