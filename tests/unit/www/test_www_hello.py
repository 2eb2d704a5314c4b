"""hello_www (course §1.6, checks §2 item 5): the same Hello page for any request, as valid HTTP."""

import socket

import pytest
from stacklab_core.logs import parse_access

from tests.unit.servers import free_port
from tests.unit.www.helpers import PREFIX, parse_response, raw_exchange, request


@pytest.mark.parametrize(("method", "path"), [("GET", "/"), ("GET", "/any/path?q=1"), ("POST", "/form"), ("PUT", "/x")])
def test_any_method_and_path_gets_hello(start_www, method, path):
    server = start_www("hello_www")
    response, body = request(server.port, path, method, body=b"field=value" if method != "GET" else None)
    assert response.status == 200
    assert b"Hello, world!" in body
    assert PREFIX.encode() in body  # the lab asked for the student's name on the page


def test_status_line_and_headers_are_valid_http(start_www):
    server = start_www("hello_www")
    data = raw_exchange(server.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert data.startswith(b"HTTP/1.0 200 OK\r\n")  # no leading blank line, unlike the course's
    response, body = parse_response(data)
    assert response.getheader("Content-Type").startswith("text/html")
    assert int(response.getheader("Content-Length")) == len(body)
    assert response.getheader("Date")
    assert response.getheader("Connection") == "close"
    assert b"\r\n\r\n" in data and b"\n\n" not in data.split(b"\r\n\r\n")[0]


def test_head_gets_headers_only(start_www):
    server = start_www("hello_www")
    data = raw_exchange(server.port, b"HEAD / HTTP/1.0\r\n\r\n")
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200 OK")
    assert rest == b""
    response, _ = parse_response(data, method="HEAD")
    assert int(response.getheader("Content-Length")) > 0


def test_waits_for_the_whole_request_head(start_www):
    """The course did one recv(1024); this server reads until the blank line, however the head is split."""
    server = start_www("hello_www")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHo")
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(1)  # nothing yet: the head is incomplete
        sock.settimeout(5)
        sock.sendall(b"st: x\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    response, body = parse_response(data)
    assert response.status == 200 and b"Hello, world!" in body


def test_prefix_flag_overrides_env(start_www):
    server = start_www("hello_www", "--prefix", "<someone>")
    _, body = request(server.port, "/")
    assert b"&lt;someone&gt;" in body and b"<someone>" not in body


def test_logs_startup_and_one_line_per_request(start_www):
    server = start_www("hello_www")
    server.wait_for_log(f"hello_www listening on port {server.port}")
    request(server.port, "/first")
    request(server.port, "/second")
    # A worker logs after it has answered, so the two lines may come in either order.
    server.wait_for_log('"GET /first HTTP/1.1" 200')
    log = server.wait_for_log('"GET /second HTTP/1.1" 200')
    assert log.count('"GET /first HTTP/1.1" 200') == 1 and log.count('"GET /second HTTP/1.1" 200') == 1


def test_port_from_env(start_server):
    port = free_port()
    server = start_server(["stacklab-hello-www", "--host", "127.0.0.1"], port, env={"HELLO_WWW_PORT": str(port)})
    assert request(port, "/")[0].status == 200
    assert server.alive()


def test_runs_as_python_module(start_server):
    port = free_port()
    start_server(["python", "-m", "stacklab_www.hello_www", "--host", "127.0.0.1", "--port", str(port)], port)
    assert request(port, "/")[0].status == 200


def test_access_line_has_the_lab_format_and_the_request_id_sent_back(start_www):
    """The lab's one format (stacklab_core.logs): a sane X-Request-ID is kept, else the server makes one up; the
    client gets it back in the answer either way."""
    server = start_www("hello_www")
    sent = "0123456789abcdef-test"
    kept, body = request(server.port, "/kept?x=1", headers={"X-Request-ID": sent, "User-Agent": "rid-test"})
    made, _ = request(server.port, "/made", headers={"X-Request-ID": "bad id!"})
    assert kept.getheader("X-Request-ID") == sent
    assert made.getheader("X-Request-ID") not in (None, "bad id!")
    for path, rid in (("/kept?x=1", sent), ("/made", made.getheader("X-Request-ID"))):
        line = next(x for x in server.wait_for_log(f" {path} ").splitlines() if f" {path} " in x)
        fields = parse_access(line)
        assert fields, line
        assert (fields["method"], fields["path"], fields["status"], fields["rid"]) == ("GET", path, "200", rid)
    assert int(parse_access(next(x for x in server.log().splitlines() if "/kept" in x))["bytes"]) == len(body)
