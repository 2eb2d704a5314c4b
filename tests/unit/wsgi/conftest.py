"""Fixtures for the WSGI tests: a real gunicorn started from the workspace venv with conf/gunicorn.conf.py,
and a real nginx in front of it configured by the rendered site template, all on 127.0.0.1."""

import os
from pathlib import Path

import pytest

from tests.unit.harness import boot_gunicorn, nginx_argv, write_nginx_conf
from tests.unit.servers import free_port
from tests.unit.wsgi.helpers import GUNICORN_CONF, Site, render_nginx_site


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
