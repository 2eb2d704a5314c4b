"""Fixtures for the WSGI tests: a real gunicorn started from the workspace venv with conf/gunicorn.conf.py,
and a real nginx in front of it configured by the rendered site template, all on 127.0.0.1."""

import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jinja2
import pytest
import requests

from tests.unit.conftest import free_port

ROOT = Path(__file__).resolve().parents[3]
CONF = ROOT / "services" / "wsgi" / "conf"
GUNICORN_CONF = CONF / "gunicorn.conf.py"
NGINX_TEMPLATE = CONF / "nginx-site.conf.j2"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

needs_nginx = pytest.mark.skipif(
    not os.access(NGINX, os.X_OK),
    reason="nginx is not installed (apt-get install nginx): the real-nginx WSGI tests need /usr/sbin/nginx",
)


@dataclass
class Site:
    port: int
    server: object  # the start_server Server: .log(), .wait_for_log(), .stop()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert match, f"no CSRF token in the history page:\n{page}"
    return match.group(1)


def post_message(site: Site, session: requests.Session, message: str) -> requests.Response:
    """Post as the history page's form does: fetch the page (cookie + token), then POST."""
    token = csrf_token(session.get(site.url("/history"), timeout=10).text)
    return session.post(site.url("/history"), data={"message": message, "csrf_token": token}, timeout=10)


def history_items(page: str) -> list[str]:
    return re.findall(r"<li>(.*?)</li>", page, re.DOTALL)


@pytest.fixture
def history_db(tmp_path) -> Path:
    return tmp_path / "history.sqlite3"


@pytest.fixture
def start_gunicorn(start_server, history_db):
    """start_gunicorn(port=None, workers=2, **env) -> Site: gunicorn as deployed (`-c gunicorn.conf.py`), bound by
    GUNICORN_BIND to 127.0.0.1 (plus any extra binds), history in history_db unless WSGI_HISTORY_DB is given."""

    def start(port: int | None = None, workers: int = 2, extra_bind: str = "", **env: str) -> Site:
        port = port or free_port()
        bind = f"127.0.0.1:{port}" + (f",{extra_bind}" if extra_bind else "")
        settings = {"GUNICORN_BIND": bind, "WEB_CONCURRENCY": str(workers), "WSGI_HISTORY_DB": str(history_db)}
        server = start_server(["gunicorn", "-c", str(GUNICORN_CONF)], port, env={**settings, **env})
        deadline = time.monotonic() + 15  # the master listens first; wait until every worker has booted
        while server.log().count("Booting worker") < workers:
            assert time.monotonic() < deadline and server.alive(), f"workers did not boot:\n{server.log()}"
            time.sleep(0.05)
        return Site(port, server)

    return start


def render_nginx_site(**variables) -> str:
    """Render as Ansible's template module (and scripts/render-conf) do: trim_blocks, keep the last newline."""
    environment = jinja2.Environment(  # noqa: S701 (server configuration, not HTML)
        undefined=jinja2.StrictUndefined, trim_blocks=True, keep_trailing_newline=True
    )
    return environment.from_string(NGINX_TEMPLATE.read_text()).render(**variables)


def nginx_conf(root: Path, site: Path) -> str:
    """A main configuration of our own (no /etc/nginx) with the rendered site in http{}, as Debian's includes it."""
    user = "user www-data;" if os.geteuid() == 0 else ""  # workers drop root, as on Debian
    return f"""{user}
daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log stderr notice;
events {{ worker_connections 64; }}
http {{
    default_type application/octet-stream;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    include {site};
}}
"""


@pytest.fixture
def nginx_layout() -> Iterator:
    """make(upstream, **template_variables) -> (root, conf path, port): a rendered site and main conf in a temp dir."""
    roots: list[Path] = []

    def make(upstream: str, **variables) -> tuple[Path, Path, int]:
        root = Path(tempfile.mkdtemp(prefix="stacklab-nginx-"))
        roots.append(root)
        root.chmod(0o755)
        port = free_port()
        site = root / "site.conf"
        site.write_text(
            render_nginx_site(wsgi_port=port, wsgi_bind_address="127.0.0.1", wsgi_upstream=upstream, **variables)
        )
        conf = root / "nginx.conf"
        conf.write_text(nginx_conf(root, site))
        return root, conf, port

    yield make
    for root in roots:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def start_nginx(nginx_layout, start_server):
    """start_nginx(upstream, **template_variables) -> Site: a real nginx in the foreground on 127.0.0.1."""

    def start(upstream: str, **variables) -> Site:
        root, conf, port = nginx_layout(upstream, **variables)
        server = start_server([NGINX, "-p", str(root), "-c", str(conf), "-e", "stderr"], port)
        return Site(port, server)

    return start
