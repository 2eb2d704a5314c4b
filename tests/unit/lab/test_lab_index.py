"""The lab index page: up/down per service from real checks, escaped HTML, JSON, health, methods; under gunicorn."""

import http.client
import json
import re
import signal
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest
from stacklab_core import checks
from stacklab_lab.index import Index

from tests.unit.lab.helpers import plan
from tests.unit.servers import free_port

CONF = Path(__file__).parents[3] / "services"


def call(app, path: str = "/", method: str = "GET"):
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method}
    setup_testing_defaults(environ)
    response = {}

    def start_response(status, headers):
        response.update(status=status, headers=dict(headers))

    body = b"".join(app(environ, start_response)).decode()
    return response["status"], response["headers"], body


@pytest.fixture
def lab_server(start_server):
    """A real lab index on a free port: the one service that is up in these tests."""
    port = free_port()
    return start_server(["stacklab-lab", "--host", "127.0.0.1", "--port", str(port)], port)


@pytest.fixture
def index(lab_server):
    return Index(plan(LAB_PORT=lab_server.port), checks.parse_targets(""), public_host="lab.example", timeout=1.0)


def test_status_json_shows_up_and_down(index, lab_server):
    status, headers, body = call(index, "/status.json")
    assert status == "200 OK"
    assert headers["Content-Type"] == "application/json"
    services = {row["name"]: row for row in json.loads(body)["services"]}
    assert list(services) == list(checks.CHECKS)
    assert services["lab"]["ok"] is True
    assert services["lab"]["address"] == f"lab.example:{lab_server.port}"
    assert services["lab"]["url"] == f"http://lab.example:{lab_server.port}/"
    down = [name for name, row in services.items() if not row["ok"]]
    assert down == [name for name in checks.CHECKS if name != "lab"]
    assert "connection refused" in services["echo"]["detail"]
    assert services["echo"]["url"] is None  # a socket service: no browser link


def test_page_lists_every_service_with_its_state(index, lab_server):
    status, headers, html = call(index)
    assert status == "200 OK"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<meta http-equiv="refresh" content="15">' in html
    assert f"1 of {len(checks.CHECKS)} up." in html
    rows = dict(re.findall(r"<tr><td>(\w+)</td>.*?<span class=\"(up|down)\">", html))
    assert rows == {name: "up" if name == "lab" else "down" for name in checks.CHECKS}
    assert f'<a href="http://lab.example:{lab_server.port}/">lab.example:{lab_server.port}</a>' in html
    assert "style-src 'sha256-" in headers["Content-Security-Policy"]


def test_tls_on_links_https_names_and_keeps_plain_ports_for_the_rest():
    ports = plan()
    app = Index(ports, checks.parse_targets(""), public_host="203.0.113.7", tls_domain="lab.example.org", timeout=0.2)
    services = {row["name"]: row for row in json.loads(call(app, "/status.json")[2])["services"]}
    assert services["django"]["url"] == "https://django.lab.example.org/"
    assert services["lab"]["address"] == "lab.lab.example.org"
    assert services["hello_www"]["url"] == f"http://203.0.113.7:{ports['HELLO_WWW_PORT']}/"  # no TLS in the course
    assert services["chat"]["url"] is None


def test_page_escapes_what_the_checks_report():
    app = Index(plan(), checks.parse_targets("echo=<script>x</script>"), public_host='"><b>', timeout=0.5)
    html = call(app)[2]
    assert "<script>" not in html and '"><b>' not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_results_are_reused_for_a_few_seconds(lab_server):
    app = Index(plan(LAB_PORT=lab_server.port), checks.parse_targets(""), timeout=1.0, cache_seconds=60)
    first = json.loads(call(app, "/status.json")[2])
    lab_server.stop()
    assert json.loads(call(app, "/status.json")[2]) == first  # cached: still "up"
    fresh = Index(plan(LAB_PORT=lab_server.port), checks.parse_targets(""), timeout=1.0, cache_seconds=0)
    assert not {row["name"]: row for row in json.loads(call(fresh, "/status.json")[2])["services"]}["lab"]["ok"]


def test_healthz_404_405_head(index):
    assert call(index, "/healthz")[::2] == ("200 OK", "ok")
    assert call(index, "/nope")[::2] == ("404 Not Found", "/nope not found\n")
    status, headers, _ = call(index, "/", "POST")
    assert (status, headers["Allow"]) == ("405 Method Not Allowed", "GET, HEAD")
    status, headers, body = call(index, "/healthz", "HEAD")
    assert (status, headers["Content-Length"], body) == ("200 OK", "0", "")


def test_standalone_server_stops_cleanly_on_sigterm(lab_server):
    lab_server.proc.send_signal(signal.SIGTERM)
    assert lab_server.proc.wait(10) == 0
    assert "lab index shutting down" in lab_server.log()


def test_under_gunicorn_with_a_real_flask(start_server, tmp_path):
    flask_port, lab_port = free_port(), free_port()
    flask_env = {
        "GUNICORN_BIND": f"127.0.0.1:{flask_port}",
        "FLASK_SECRET_KEY": "test-only",
        "FLASK_HISTORY_DB": str(tmp_path / "history.sqlite3"),
    }
    start_server(["gunicorn", "-c", str(CONF / "flask" / "conf" / "gunicorn.conf.py")], flask_port, flask_env)
    # The lab reads its port plan from the environment, as in a container: everything else on closed ports.
    lab_env = {**plan(LAB_PORT=lab_port, FLASK_PORT=flask_port), "GUNICORN_BIND": f"127.0.0.1:{lab_port}"}
    lab = start_server(["python", "-m", "gunicorn", "-c", "python:stacklab_lab.gunicorn_conf"], lab_port, lab_env)
    conn = http.client.HTTPConnection("127.0.0.1", lab_port, timeout=30)
    conn.request("GET", "/status.json")
    response = conn.getresponse()
    services = {row["name"]: row["ok"] for row in json.loads(response.read())["services"]}
    conn.close()
    assert response.status == 200
    assert {name for name, ok in services.items() if ok} == {"lab", "flask"}
    lab.wait_for_log('"GET /status.json HTTP/1.1" 200')
