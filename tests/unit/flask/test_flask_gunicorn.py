"""The app under a real gunicorn (conf/gunicorn.conf.py, 2 workers) on 127.0.0.1, and behind a real nginx."""

import http.client
import os
import re
import subprocess
from pathlib import Path

import pytest
import stacklab_flask
from stacklab_core.logs import GUNICORN_FORMAT, parse_access

from tests.unit.harness import (
    SLOW_CLIENT_TIMEOUTS,
    TEST_USER,
    boot_gunicorn,
    needs_nginx,
    nginx_argv,
    nginx_timeouts,
    render_template,
    write_nginx_conf,
)
from tests.unit.servers import BIN, free_port

CONF = Path(__file__).parents[3] / "services" / "flask" / "conf"
STATIC = Path(stacklab_flask.__file__).parent / "static"


def request(port: int, method: str, path: str, body: str | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response, response.read().decode()
    finally:
        conn.close()


@pytest.fixture
def gunicorn(start_server, tmp_path):
    env = {
        "FLASK_SECRET_KEY": "test-only",
        "FLASK_HISTORY_DB": str(tmp_path / "history.sqlite3"),
        # The deployed access log plus the worker's pid (GUNICORN_CMD_ARGS beats the conf file), so a test can
        # tell which worker served a request.
        "GUNICORN_CMD_ARGS": f"--access-logformat '{GUNICORN_FORMAT} pid=%(p)s'",
    }
    return boot_gunicorn(start_server, CONF / "gunicorn.conf.py", free_port(), env)


def test_healthz_and_bookshop_under_gunicorn(gunicorn):
    response, body = request(gunicorn.port, "GET", "/healthz")
    assert (response.status, body) == (200, "ok")
    response, body = request(gunicorn.port, "GET", "/")
    assert response.status == 200
    assert len(re.findall(r'href="/detail/id\d"', body)) == 5
    assert "Booting worker" in gunicorn.log()  # gunicorn's own log goes to stdout
    assert "Control socket" not in gunicorn.log()  # none in $HOME, shared by every gunicorn of the user
    gunicorn.wait_for_log('"GET / HTTP/1.1" 200')  # and so does the access log


def test_both_workers_see_one_history(gunicorn):
    """Post through whichever worker takes the POST, then read on new connections until both workers have served
    the page (found by pid in the access log): the message was read by a worker other than the one that stored it."""
    response, body = request(gunicorn.port, "GET", "/messages")
    cookie = response.headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
    form = f"message=shared+by+workers&csrf_token={token}"
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    response, _ = request(gunicorn.port, "POST", "/messages", form, headers)
    assert response.status == 303
    readers: set[str] = set()
    for probe in range(200):  # new connections land on either worker
        response, body = request(gunicorn.port, "GET", f"/messages?probe={probe}")
        assert "shared by workers" in body
        log = gunicorn.wait_for_log(f"probe={probe} ")
        readers.add(re.search(rf'"GET /messages\?probe={probe} HTTP/1.1" 200 .* pid=<(\d+)>', log).group(1))
        if len(readers) == 2:
            break
    assert len(readers) == 2, f"every read was served by one worker: {readers}"
    assert readers == set(re.findall(r"Booting worker with pid: (\d+)", gunicorn.log()))


def test_gunicorn_refuses_debug_in_production(tmp_path):
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
        "FLASK_SECRET_KEY": "test-only",
        "FLASK_HISTORY_DB": str(tmp_path / "history.sqlite3"),
        "FLASK_DEBUG": "1",
    }
    run = subprocess.run(  # as systemd starts it: python -m, with the settings module from the installed package
        [BIN / "python", "-m", "gunicorn", "-c", "python:stacklab_flask.gunicorn_conf"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0
    assert "refusing to start with DEBUG on while FLASK_ENV is 'production'" in run.stdout + run.stderr


def render_site(port: int, upstream: str, static_root: str) -> str:
    return render_template(
        CONF / "nginx-site.conf.j2", flask_port=port, flask_upstream=upstream, flask_static_root=static_root
    )


@pytest.fixture
def nginx(start_server, gunicorn, tmp_path):
    port = free_port()
    site = render_site(port, f"127.0.0.1:{gunicorn.port}", str(STATIC))
    conf = write_nginx_conf(tmp_path, site, TEST_USER)  # as root, keep the workers able to read the test's files
    return start_server(nginx_argv(tmp_path, conf), port)


@needs_nginx
def test_nginx_proxies_to_gunicorn(nginx, gunicorn):
    response, body = request(nginx.port, "GET", "/detail/id3")
    assert response.status == 200
    assert "John Goerzen" in body
    assert response.headers.get_all("X-Frame-Options") == ["DENY"]  # once, not from both nginx and the app
    assert response.headers["Server"] == "nginx"  # no version


@needs_nginx
def test_one_request_id_in_nginx_and_gunicorn_lines_and_the_answer(nginx, gunicorn):
    """nginx keeps a sane X-Request-ID, else makes one ($request_id), passes it to gunicorn and sends it back; both
    log the lab's format with it (stacklab_core.logs), so one request is followed from front to app."""
    sent = "0123456789abcdef-flask"
    replies = {
        "/detail/id3?rid=kept": request(nginx.port, "GET", "/detail/id3?rid=kept", headers={"X-Request-ID": sent})[0],
        "/detail/id3?rid=made": request(nginx.port, "GET", "/detail/id3?rid=made", headers={"X-Request-ID": "a b"})[0],
    }
    assert replies["/detail/id3?rid=kept"].headers["X-Request-ID"] == sent
    assert re.fullmatch(r"[0-9a-f]{32}", replies["/detail/id3?rid=made"].headers["X-Request-ID"])
    for path, reply in replies.items():
        for server in (nginx, gunicorn):
            line = next(x for x in server.wait_for_log(f" {path} ").splitlines() if f" {path} " in x)
            fields = parse_access(line)
            assert fields, line
            assert (fields["path"], fields["status"], fields["rid"]) == (path, "200", reply.headers["X-Request-ID"])


@needs_nginx
def test_nginx_serves_static_files_itself(nginx, gunicorn):
    response, body = request(nginx.port, "GET", "/static/style.css")
    assert response.status == 200
    assert body == (STATIC / "style.css").read_text()
    request(nginx.port, "GET", "/healthz")
    gunicorn.wait_for_log('"GET /healthz')
    assert "/static/style.css" not in gunicorn.log()


@needs_nginx
def test_nginx_refuses_a_100kb_body(nginx, gunicorn):
    body = "message=" + "x" * 100_000
    response, _ = request(nginx.port, "POST", "/messages", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 413
    assert request(nginx.port, "GET", "/healthz")[0].status == 200


def test_without_static_root_nginx_proxies_static_too():
    site = render_site(5000, "flask:8000", "")
    assert "location /static/" not in site
    assert "listen 5000;" in site and "server flask:8000;" in site


def test_the_site_bounds_slow_clients():
    assert nginx_timeouts(render_site(5000, "flask:8000", "")) == SLOW_CLIENT_TIMEOUTS
