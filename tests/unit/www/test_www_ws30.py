"""ws30 (course §1.8, checks §2 item 7) against a known document root: listings, files, types, extensions."""

import datetime
import re
import shutil
import subprocess

import pytest

from tests.unit.servers import BIN, free_port
from tests.unit.www.helpers import PREFIX, parse_response, raw_exchange, request


@pytest.fixture
def ws30(start_www, docroot):
    return start_www("ws30", "--root", str(docroot))


def hrefs(body: bytes) -> list[str]:
    return re.findall(r'<a href="([^"]*)">', body.decode())


def test_root_listing_is_sorted_with_parent_link(ws30):
    response, body = request(ws30.port, "/")
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/html")
    assert "<title>/</title>" in body.decode()
    links = hrefs(body)
    assert links[0] == ".."
    # code-point order as the course's sort(): upper case first; directories with a trailing slash; no dotfiles
    assert links[1:] == [
        "%3Cb%3E.txt",  # "<b>.txt"
        "B.txt",
        "doc.pdf",
        "index.html",
        "notes.txt",
        "pic.png",
        "style.css",
        "sub/",
        "with%20space.txt",
        "x.jpg",
    ]
    assert ".hidden" not in body.decode() and ".git" not in body.decode()


def test_listing_escapes_names(ws30):
    _, body = request(ws30.port, "/")
    assert b">&lt;b&gt;.txt</a>" in body
    assert b"<b>" not in body


def test_directory_without_slash_redirects(ws30):
    response, body = request(ws30.port, "/sub")
    assert response.status == 301
    assert response.reason == "Moved"
    assert response.getheader("Location") == "/sub/"
    assert body == b"moved\n"


def test_subdirectory_listing(ws30):
    response, body = request(ws30.port, "/sub/")
    assert response.status == 200
    assert "<title>/sub/</title>" in body.decode()
    assert hrefs(body) == ["..", "inner.txt"]


def test_file_is_served_byte_for_byte(ws30, docroot):
    response, body = request(ws30.port, "/index.html")
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/html"
    assert body == (docroot / "index.html").read_bytes()  # no extra trailing newline, unlike the course


@pytest.mark.parametrize(
    ("path", "mime"),
    [
        ("/pic.png", "image/png"),
        ("/doc.pdf", "application/pdf"),
        ("/index.html", "text/html"),
        ("/x.jpg", "image/jpeg"),  # the course said image/jpg, which is not a registered type
        ("/notes.txt", "text/plain"),
        ("/style.css", "text/css"),  # from mimetypes; the course's 5-entry map gave text/plain
    ],
)
def test_content_types(ws30, docroot, path, mime):
    response, body = request(ws30.port, path)
    assert response.status == 200
    assert response.getheader("Content-Type").split(";")[0] == mime
    assert body == (docroot / path[1:]).read_bytes()


def test_missing_path_is_404_text(ws30):
    response, body = request(ws30.port, "/nope")
    assert response.status == 404
    assert response.getheader("Content-Type").startswith("text/plain")
    assert body.decode().strip() == "/nope not found"


def test_server_header_and_okay_reason(ws30):
    data = raw_exchange(ws30.port, b"GET /notes.txt HTTP/1.0\r\n\r\n")
    assert data.startswith(b"HTTP/1.0 200 Okay\r\n")
    response, _ = parse_response(data)
    assert response.reason == "Okay"
    assert response.getheader("Server") == "ws30"
    assert response.getheader("Date") and response.getheader("Connection") == "close"


def test_url_decoding_and_query_stripping(ws30):
    assert request(ws30.port, "/with%20space.txt")[1] == b"spaced\n"
    assert request(ws30.port, "/notes.txt?x=1&y=2")[1] == b"some notes\n"
    assert request(ws30.port, "/%6eotes.txt")[1] == b"some notes\n"


def test_absolute_form_target(ws30):
    response, body = parse_response(raw_exchange(ws30.port, b"GET http://example.test/notes.txt HTTP/1.1\r\n\r\n"))
    assert (response.status, body) == (200, b"some notes\n")


@pytest.mark.parametrize("path", ["/date.html", "/sub/date.html", "/update.html"])
def test_date_html_anywhere(ws30, path):
    response, body = request(ws30.port, path)
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/plain")
    assert body.decode().startswith(f"{PREFIX}: {datetime.date.today().year}-")


def test_print_time_script_runs(ws30):
    response, body = request(ws30.port, "/print_time.py")
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/plain")
    assert "Here is the time:" in body.decode() and "and again:" in body.decode()


def test_head_has_no_body(ws30, docroot):
    data = raw_exchange(ws30.port, b"HEAD /pic.png HTTP/1.0\r\n\r\n")
    assert data.partition(b"\r\n\r\n")[2] == b""
    response, _ = parse_response(data, method="HEAD")
    assert response.status == 200
    assert int(response.getheader("Content-Length")) == (docroot / "pic.png").stat().st_size


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS"])
def test_other_methods_not_allowed(ws30, method):
    response, _ = request(ws30.port, "/notes.txt", method, body=b"x=1")
    assert response.status == 405
    assert response.getheader("Allow") == "GET, HEAD"


def test_unknown_method_not_implemented(ws30):
    assert request(ws30.port, "/", "BREW")[0].status == 501


def test_root_from_env_and_default_cwd(start_server, docroot):
    port = free_port()
    start_server(["stacklab-ws30", "--host", "127.0.0.1", "--port", str(port)], port, env={"WS30_ROOT": str(docroot)})
    assert request(port, "/notes.txt")[1] == b"some notes\n"
    port = free_port()
    start_server(["stacklab-ws30", "--host", "127.0.0.1"], port, env={"WS30_PORT": str(port)}, cwd=docroot)
    assert request(port, "/notes.txt")[1] == b"some notes\n"


def test_one_argument_is_not_taken_as_host():
    """The course's `ws30.py 8081` bound host '8081'; here every setting is a flag, and a stray argument is refused."""
    result = subprocess.run([BIN / "stacklab-ws30", "8081"], capture_output=True, text=True, timeout=10, check=False)
    assert result.returncode == 2
    assert "unrecognized arguments: 8081" in result.stderr


def test_demo_root_serves_the_course_page(start_www):
    server = start_www("ws30", "--demo")
    response, body = request(server.port, "/winter_2012/index.html")
    assert response.status == 200
    assert b"Internet Programming in Python" in body
    assert "winter_2012/" in hrefs(request(server.port, "/")[1])


def test_runs_as_python_module(start_server, docroot):
    port = free_port()
    start_server(["python", "-m", "stacklab_www.ws30", "--host", "127.0.0.1", "--port", str(port)], port, cwd=docroot)
    assert request(port, "/notes.txt")[1] == b"some notes\n"


@pytest.mark.parametrize("target", [b"/nope", b"/%ff", b"/../x"])
def test_head_of_an_error_has_no_body(ws30, target):
    data = raw_exchange(ws30.port, b"HEAD " + target + b" HTTP/1.0\r\n\r\n")
    assert data.partition(b"\r\n\r\n")[2] == b""
    assert parse_response(data, method="HEAD")[0].status in (400, 404)


def test_healthz_checks_the_document_root(start_www, docroot):
    server = start_www("ws30", "--root", str(docroot))
    assert request(server.port, "/healthz")[1] == b"ok\n"
    shutil.rmtree(docroot)
    response, body = request(server.port, "/healthz")
    assert response.status == 503
    assert b"document root unreadable" in body
