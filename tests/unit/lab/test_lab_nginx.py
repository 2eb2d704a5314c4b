"""The lab index behind its nginx front (services/lab/conf/nginx-site.conf.j2), as compose and a VM run it: pages
through nginx, the slow-client timeouts, and slow clients that once pinned gunicorn's 4 threads no longer do."""

import contextlib
import http.client
import json
import re
import socket
import time
from pathlib import Path

import pytest

from tests.unit.harness import (
    SLOW_CLIENT_TIMEOUTS,
    TEST_USER,
    needs_nginx,
    nginx_argv,
    nginx_timeouts,
    render_template,
    write_nginx_conf,
)
from tests.unit.lab.helpers import plan
from tests.unit.servers import free_port

SITE = Path(__file__).parents[3] / "services" / "lab" / "conf" / "nginx-site.conf.j2"


def render_site(port: int, upstream: str) -> str:
    return render_template(SITE, lab_port=port, lab_upstream=upstream)


@pytest.fixture
def front(start_server, tmp_path):
    """gunicorn (the package's settings, as in the image) behind nginx with the rendered site -> nginx's port."""
    lab_port, app_port = free_port(), free_port()
    env = {**plan(LAB_PORT=lab_port), "GUNICORN_BIND": f"127.0.0.1:{app_port}"}
    start_server(["python", "-m", "gunicorn", "-c", "python:stacklab_lab.gunicorn_conf"], app_port, env)
    conf = write_nginx_conf(tmp_path, render_site(lab_port, f"127.0.0.1:{app_port}"), TEST_USER)
    start_server(nginx_argv(tmp_path, conf), lab_port)
    return lab_port


def get(port: int, path: str, timeout: float = 10.0) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


@needs_nginx
def test_the_index_through_nginx(front):
    status, body = get(front, "/status.json")
    assert status == 200
    services = {row["name"]: row["ok"] for row in json.loads(body)["services"]}
    assert services["lab"] is True  # its own check goes through nginx on LAB_PORT too


@needs_nginx
def test_slow_clients_do_not_pin_the_index(front):
    """16 unfinished request heads, four times gunicorn's threads: nginx holds them, the page still comes."""
    get(front, "/")  # one round of checks done and cached: the timing below is the front's, not the probes'
    slow = []
    try:
        for _ in range(16):
            sock = socket.create_connection(("127.0.0.1", front), timeout=5)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            slow.append(sock)
        started = time.monotonic()
        status, body = get(front, "/", timeout=5)
        assert status == 200 and re.search(r"\d+ of \d+ up", body), body[:300]
        assert time.monotonic() - started < 1.0
    finally:
        for sock in slow:
            with contextlib.suppress(OSError):
                sock.close()


def test_the_site_bounds_slow_clients():
    assert nginx_timeouts(render_site(8090, "lab:8000")) == SLOW_CLIENT_TIMEOUTS


def test_compose_and_vm_upstreams():
    assert "proxy_pass http://lab:8000;" in render_site(8090, "lab:8000")
    site = render_site(8090, "unix:/run/stacklab-lab.sock")
    assert "listen 8090;" in site and "proxy_pass http://unix:/run/stacklab-lab.sock;" in site
