"""The deploy gate (stacklab_deploy.gate) against a real HTTP server on 127.0.0.1 that plays the four web apps:
an app whose /healthz answers 200 while its real page is broken must fail the gate."""

import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from stacklab_deploy import gate

HEALTHY = {
    "/healthz": "ok\n",
    "/accounts/login/": '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="t0k3n">',
    "/detail/id3": "<h1>Foundations of Python Network Programming</h1><li>Author: John Goerzen</li>",
    "/history": '<form method="POST"><input type="hidden" name="csrf_token" value="t0k3n"></form>',
    "/cgi-bin/echo_cgi.py": "<html><body><p>Message: {message}</p></body></html>",
}
PORT_KEYS = ("DJANGO_PORT", "FLASK_PORT", "WSGI_PORT", "CGI_PORT")
# Each app's health check, and its page whose breaking must fail the gate while that check still passes.
APPS = [
    ("django", "django-page", "/accounts/login/"),
    ("flask", "flask-page", "/detail/id3"),
    ("wsgi", "wsgi-page", "/history"),
    ("cgi", "cgi-page", "/cgi-bin/echo_cgi.py"),
]


class Apps(ThreadingHTTPServer):
    """Serves HEALTHY; `broken[path] = (status, body, times)` breaks a path for that many requests (-1: always)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.broken: dict[str, tuple[int, str, int]] = {}
        self.redirects: dict[str, str] = {}  # path -> Location of a 301 (an app's plain port with TLS on)
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    server: Apps

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path in self.server.redirects:
            self.send_response(301)
            self.send_header("Location", self.server.redirects[url.path] + (f"?{url.query}" if url.query else ""))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with self.server.lock:
            status, body, times = self.server.broken.get(url.path, (0, "", 0))
            if times:
                self.server.broken[url.path] = (status, body, times - 1)
        if not times:
            status, body = (200, HEALTHY[url.path]) if url.path in HEALTHY else (404, "not found")
            body = body.replace("{message}", parse_qs(url.query).get("message", [""])[0])
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def _serve(server: Apps):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def apps():
    yield from _serve(Apps())


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for lab.test and *.lab.test (its own CA): (certificate file, key file)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    request = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    names = ["-subj", "/CN=lab.test", "-addext", "subjectAltName=DNS:lab.test,DNS:*.lab.test"]
    subprocess.run([*request, "-keyout", key, "-out", cert, "-days", "2", *names], check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_apps(certificate, monkeypatch):
    """The apps over TLS as *.lab.test on 127.0.0.1, and STACKLAB_TLS_CA naming their certificate."""
    monkeypatch.setenv("STACKLAB_TLS_CA", certificate[0])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server = Apps()
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield from _serve(server)


@pytest.fixture
def plan(apps):
    return dict.fromkeys(PORT_KEYS, str(apps.server_address[1]))


def test_every_page_of_working_apps_passes(apps, plan):
    rows = gate.check_pages("127.0.0.1", plan)
    assert [name for name, _ok, _detail in rows] == list(gate.PAGES)
    assert all(ok for _name, ok, _detail in rows), rows
    assert gate.wait_until_healthy(lambda names: gate.service_rows("127.0.0.1", plan, names or _names()), 0) == []


def _names() -> list[str]:
    return [check for check, _page, _path in APPS] + list(gate.PAGES)


@pytest.mark.parametrize(
    "broken",
    [(500, "Internal Server Error"), (200, "<html><body>a page that lost its content</body></html>")],
    ids=["error", "empty-page"],
)
@pytest.mark.parametrize(("check", "page", "path"), APPS, ids=[app[0] for app in APPS])
def test_a_broken_app_behind_a_healthy_healthz_fails_the_gate(apps, plan, check, page, path, broken):
    apps.broken[path] = (*broken, -1)
    failing = gate.wait_until_healthy(lambda names: gate.service_rows("127.0.0.1", plan, names or _names()), 0.2, 0.05)
    assert page in [name for name, _ok, _detail in failing]
    detail = dict((name, detail) for name, _ok, detail in failing)[page]
    assert detail.startswith(f"GET {path}") and ("status 500" in detail if broken[0] == 500 else "not in" in detail)
    if check != "cgi":  # the CGI health check fetches the echo page too; the others only see /healthz
        assert check not in dict((name, ok) for name, ok, _detail in failing), "its /healthz answered 200"


def test_the_gate_retries_what_fails_until_it_passes(apps, plan):
    apps.broken["/detail/id3"] = (503, "starting", 2)  # workers still booting: two bad answers, then good ones
    asked = []

    def probe(names):
        asked.append(names)
        return gate.check_pages("127.0.0.1", plan, names)

    assert gate.wait_until_healthy(probe, seconds=30, pause=0.01) == []
    assert asked == [None, ["flask-page"], ["flask-page"]]


def test_a_unit_failure_makes_the_gate_probe_everything_again():
    answers = iter([[("stacklab-echo.service", False, "failed")], [("stacklab-echo.service", True, "active")]])
    asked = []

    def probe(names):
        asked.append(names)
        return next(answers)

    assert gate.wait_until_healthy(probe, seconds=30, pause=0) == []
    assert asked == [None, None]


def test_an_unreachable_app_is_one_clear_row(apps, plan):
    closed = dict(plan, FLASK_PORT=str(_closed_port()))
    [(name, ok, detail)] = gate.check_pages("127.0.0.1", closed, ["flask-page"], timeout=2)
    assert (name, ok) == ("flask-page", False) and detail == "GET /detail/id3: Connection refused"
    assert gate.describe([(name, ok, detail)]) == "flask-page: GET /detail/id3: Connection refused"


def _closed_port() -> int:
    with socket.socket() as sock:  # a free port: nothing listens on it
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_https_rows_check_the_chain_and_the_name(tls_apps, monkeypatch):
    port = tls_apps.server_address[1]
    name, ok, detail = gate.check_https("127.0.0.1", "flask.lab.test", port=port)
    assert (name, ok) == ("https flask.lab.test", True) and detail.startswith("HTTP 200 over TLSv1."), detail
    name, ok, detail = gate.check_https("127.0.0.1", "flask.example.org", port=port)
    assert (name, ok) == ("https flask.example.org", False) and "match" in detail, detail  # not a name it holds
    monkeypatch.delenv("STACKLAB_TLS_CA")  # the system's roots do not know this certificate
    _name, ok, detail = gate.check_https("127.0.0.1", "flask.lab.test", port=port)
    assert not ok and "certificate verify failed" in detail, detail


def test_a_page_behind_an_https_redirect_is_fetched_over_https(apps, plan, tls_apps):
    port = tls_apps.server_address[1]
    apps.redirects["/detail/id3"] = f"https://flask.lab.test:{port}/detail/id3"
    apps.redirects["/cgi-bin/echo_cgi.py"] = f"https://cgi.lab.test:{port}/cgi-bin/echo_cgi.py"
    rows = {name: (ok, detail) for name, ok, detail in gate.check_pages("127.0.0.1", plan)}
    assert all(ok for ok, _detail in rows.values()), rows
    assert rows["flask-page"][1].startswith(f"GET https://flask.lab.test:{port}/detail/id3 200")
    assert rows["cgi-page"][1].startswith(f"GET https://cgi.lab.test:{port}/cgi-bin/echo_cgi.py?message=gate-")
    tls_apps.broken["/detail/id3"] = (500, "Internal Server Error", -1)  # the https side is what counts
    [(_name, ok, detail)] = gate.check_pages("127.0.0.1", plan, ["flask-page"])
    assert not ok and detail.endswith("status 500, expected 200"), detail
