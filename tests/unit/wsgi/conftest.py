"""Fixtures for the WSGI tests: a real gunicorn started from the workspace venv with conf/gunicorn.conf.py,
and a real nginx in front of it configured by the rendered site template, all on 127.0.0.1."""

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.unit.conftest import free_port
from tests.unit.harness import boot_gunicorn, nginx_argv, render_template, write_nginx_conf

ROOT = Path(__file__).resolve().parents[3]
CONF = ROOT / "services" / "wsgi" / "conf"
GUNICORN_CONF = CONF / "gunicorn.conf.py"
NGINX_TEMPLATE = CONF / "nginx-site.conf.j2"


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
        binds = {"GUNICORN_BIND": f"127.0.0.1:{port},{extra_bind}"} if extra_bind else {}
        settings = {"WSGI_HISTORY_DB": str(history_db), **binds, **env}
        return Site(port, boot_gunicorn(start_server, GUNICORN_CONF, port, settings, workers))

    return start


def render_nginx_site(**variables) -> str:
    return render_template(NGINX_TEMPLATE, **variables)


@pytest.fixture
def nginx_layout(readable_tmp_dir):
    """make(upstream, **template_variables) -> (root, conf path, port): a rendered site and main conf in a temp dir."""

    def make(upstream: str, **variables) -> tuple[Path, Path, int]:
        root = readable_tmp_dir("stacklab-nginx-")
        port = free_port()
        site = render_nginx_site(wsgi_port=port, wsgi_bind_address="127.0.0.1", wsgi_upstream=upstream, **variables)
        user = "www-data" if os.geteuid() == 0 else None  # workers drop root, as on Debian
        return root, write_nginx_conf(root, site, user), port

    return make


@pytest.fixture
def start_nginx(nginx_layout, start_server):
    """start_nginx(upstream, **template_variables) -> Site: a real nginx in the foreground on 127.0.0.1."""

    def start(upstream: str, **variables) -> Site:
        root, conf, port = nginx_layout(upstream, **variables)
        return Site(port, start_server(nginx_argv(root, conf), port))

    return start
