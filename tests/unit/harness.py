"""Helpers the web services' tests share: conf templates rendered as Ansible renders them, a real gunicorn started
with a service's conf/gunicorn.conf.py, and a real nginx with a main configuration of our own (no /etc/nginx)."""

import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jinja2
import pytest

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# The lab's access-log format and request id, which every site uses (the nginx role's file, in every image too).
NGINX_LOG_CONF = Path(__file__).parents[2] / "ansible/roles/nginx/templates/stacklab-log.conf"
TEST_USER = pwd.getpwuid(os.getuid()).pw_name

needs_nginx = pytest.mark.skipif(
    not os.access(NGINX, os.X_OK),
    reason="nginx is not installed (apt-get install nginx): the real-nginx tests need /usr/sbin/nginx",
)


def render_template(path: Path, **variables) -> str:
    """Render as Ansible's template module (and scripts/render_conf.py) do: an undefined variable is an error, the
    newline after a block tag is dropped, the file's last newline kept."""
    environment = jinja2.Environment(  # noqa: S701 (server configuration, not HTML)
        undefined=jinja2.StrictUndefined, trim_blocks=True, keep_trailing_newline=True,
        # Imports beside the template, then the nginx fronts' shared macros (as the nginx role's site task finds them).
        loader=jinja2.FileSystemLoader([path.parent, Path(__file__).parents[2] / "ansible/roles/nginx/templates"]),
    )  # fmt: skip
    return environment.get_template(path.name).render(**variables)


def boot_gunicorn(start_server, conf: Path, port: int, env: dict[str, str], workers: int = 2):
    """gunicorn as deployed (`-c conf/gunicorn.conf.py`, bound by GUNICORN_BIND to 127.0.0.1:port) -> the
    start_server Server, once every worker has booted (the master listens before its workers are ready)."""
    settings = {"GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers), **env}
    server = start_server(["gunicorn", "-c", str(conf)], port, env=settings)
    deadline = time.monotonic() + 15
    while server.log().count("Booting worker") < workers:
        assert time.monotonic() < deadline and server.alive(), f"workers did not boot:\n{server.log()}"
        time.sleep(0.05)
    return server


def write_nginx_conf(root: Path, site: str, user: str | None) -> Path:
    """Write `site` (a rendered http{}-level site) to root/site.conf and a main configuration of our own that
    includes it, as Debian's nginx.conf does, to root/nginx.conf; return the latter. Requests are logged to stdout
    in the lab's format, as in the containers (docker/nginx/nginx.conf).

    `user` is who the workers run as when nginx starts as root (None: nginx's default).
    """
    (root / "site.conf").write_text(site)
    conf = root / "nginx.conf"
    conf.write_text(f"""{f"user {user};" if user else ""}
daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log stderr notice;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    include {NGINX_LOG_CONF};
    access_log /dev/stdout stacklab;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    include {root}/site.conf;
}}
""")
    return conf


def nginx_argv(root: Path, conf: Path, *flags: str) -> list[str]:
    """nginx in the foreground (daemon off in conf) with its prefix in root, errors to stderr."""
    return [NGINX, *flags, "-p", str(root), "-c", str(conf), "-e", "stderr"]


WHEELHOUSE = Path(__file__).resolve().parents[2] / "build" / "wheelhouse"


def install_service_wheel(python: Path, service: Path) -> None:
    """Install a service as a server does: its wheel, built from this checkout, with its dependencies from the
    wheelhouse (scripts/wheelhouse, the locked versions) and no index. Nothing here reads uv's index cache, which
    a fresh machine does not have: the build backend is the locked hatchling of the test environment itself."""
    uv = shutil.which("uv")
    if not WHEELHOUSE.is_dir():
        pytest.fail(f"no wheelhouse at {WHEELHOUSE}: run scripts/wheelhouse (./run unit does)")
    dist = Path(tempfile.mkdtemp(prefix="stacklab-wheel-"))
    try:
        subprocess.run(
            [
                uv,
                "build",
                "--quiet",
                "--offline",
                "--no-build-isolation",
                "--python",
                sys.executable,
                "--wheel",
                "--out-dir",
                dist,
                service,
            ],
            check=True,
        )
        (wheel,) = dist.glob("*.whl")
        # --no-cache: uv would take a lab wheel from its cache by name and version, not the wheelhouse's newer build
        # of the same version (a stale stacklab_core without a module added since).
        install = ["pip", "install", "--quiet", "--no-cache", "--python", python, "--no-index"]
        subprocess.run([uv, *install, "--find-links", WHEELHOUSE, wheel], check=True)
    finally:
        shutil.rmtree(dist, ignore_errors=True)


# Slow or idle clients lose their connection (nginx's defaults are 60 s and 75 s).
SLOW_CLIENT_TIMEOUTS = {
    "client_header_timeout": "10s",
    "client_body_timeout": "10s",
    "keepalive_timeout": "15s",
    "send_timeout": "10s",
}


def nginx_timeouts(conf: str) -> dict[str, str]:
    """The slow-client timeouts an nginx configuration sets, by name."""
    names = "|".join(SLOW_CLIENT_TIMEOUTS)
    return dict(re.findall(rf"^\s*({names}) (\S+);$", conf, re.M))
