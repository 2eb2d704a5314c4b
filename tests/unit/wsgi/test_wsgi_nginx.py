"""The WSGI echo behind a real nginx configured by the rendered site template, in front of a real gunicorn:
the whole chain a container or VM runs, on 127.0.0.1 (TCP upstream as in compose, unix socket as on a VM)."""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests
import yaml

from tests.unit.harness import NGINX, SLOW_CLIENT_TIMEOUTS, needs_nginx, nginx_timeouts, render_template
from tests.unit.servers import free_port
from tests.unit.wsgi.helpers import history_items, post_message, render_nginx_site

NGINX_ROLE = Path(__file__).parents[3] / "ansible" / "roles" / "nginx"

pytestmark = needs_nginx


@pytest.fixture
def chain(start_gunicorn, start_nginx):
    app = start_gunicorn()
    return start_nginx(f"127.0.0.1:{app.port}")


def test_course_checks_through_nginx(chain):
    root = requests.get(chain.url("/"), timeout=10)
    assert (root.status_code, root.text) == (200, "The request method was GET")
    assert root.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert 'action="echo_wsgi.py"' in requests.get(chain.url("/echo_wsgi.html"), timeout=10).text
    echo = requests.get(chain.url("/echo_wsgi.py?message=Hi"), timeout=10)
    assert (echo.status_code, "<p>Message: Hi</p>" in echo.text) == (200, True)
    assert echo.headers["Content-Type"] == "text/html; charset=utf-8"
    missing = requests.get(chain.url("/other"), timeout=10)
    assert (missing.status_code, "404 /other not found" in missing.text) == (404, True)


def test_history_with_csrf_through_nginx(chain):
    with requests.Session() as alice:
        for message in ("one", "two"):
            assert post_message(chain, alice, message).status_code == 200
    with requests.Session() as bob:
        assert history_items(bob.get(chain.url("/history"), timeout=10).text) == ["two", "one"]
        assert bob.post(chain.url("/history"), data={"message": "forged"}, timeout=10).status_code == 403


def test_redirect_after_post_stays_on_nginx(chain):
    with requests.Session() as session:
        reply = post_message(chain, session, "where")
    assert reply.history[0].status_code == 303
    assert reply.url == chain.url("/history")


def test_security_headers_once_and_no_version(chain):
    reply = requests.get(chain.url("/echo_wsgi.py?message=x"), timeout=10)
    assert reply.headers["X-Content-Type-Options"] == "nosniff"  # one copy: nginx hides the app's
    assert reply.headers["Content-Security-Policy"].count("default-src") == 1
    assert reply.headers["Server"] == "nginx"


def test_large_body_is_refused_by_nginx(chain):
    with requests.Session() as session:
        reply = post_message(chain, session, "z" * 100_000)
    assert reply.status_code == 413
    assert reply.headers["X-Frame-Options"] == "DENY"  # `always`: on nginx's own error pages too
    assert history_items(requests.get(chain.url("/history"), timeout=10).text) == []


def test_healthz_is_passed_to_the_app(start_gunicorn, start_nginx, tmp_path):
    healthy = start_nginx(f"127.0.0.1:{start_gunicorn().port}")
    assert requests.get(healthy.url("/healthz"), timeout=10).text == "ok\n"
    broken_app = start_gunicorn(WSGI_HISTORY_DB=str(tmp_path / "missing" / "db.sqlite3"))
    broken = start_nginx(f"127.0.0.1:{broken_app.port}")
    assert requests.get(broken.url("/healthz"), timeout=10).status_code == 503


def test_app_down_is_a_502(start_nginx):
    site = start_nginx(f"127.0.0.1:{free_port()}")  # nothing listens there
    reply = requests.get(site.url("/healthz"), timeout=10)
    assert reply.status_code == 502


def test_unix_socket_upstream_as_on_a_vm(start_gunicorn, start_nginx):
    run_dir = tmp_run_dir()
    try:
        socket_path = run_dir / "gunicorn.sock"
        start_gunicorn(extra_bind=f"unix:{socket_path}")
        site = start_nginx(f"unix:{socket_path}")
        assert requests.get(site.url("/healthz"), timeout=10).text == "ok\n"
        with requests.Session() as session:
            assert history_items(post_message(site, session, "via socket").text) == ["via socket"]
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def test_access_log_goes_to_stdout(chain):
    requests.get(chain.url("/echo_wsgi.py?message=nginxlog"), timeout=10)
    chain.server.wait_for_log('"GET /echo_wsgi.py?message=nginxlog HTTP/1.1" 200')


@pytest.mark.parametrize("upstream", ["127.0.0.1:8000", "unix:/run/stacklab-wsgi/gunicorn.sock"])
def test_configtest_passes(nginx_layout, upstream):
    # (A compose name such as wsgi:8000 must resolve when nginx starts: compose starts nginx after the app.)
    root, conf, _port = nginx_layout(upstream)
    check = subprocess.run([NGINX, "-t", "-p", root, "-c", conf, "-e", "stderr"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert "test is successful" in check.stderr


def test_configtest_fails_on_a_broken_site(nginx_layout):
    root, conf, _port = nginx_layout("127.0.0.1:8000")
    (root / "site.conf").write_text((root / "site.conf").read_text().replace("proxy_pass", "proxy_pas"))
    check = subprocess.run([NGINX, "-t", "-p", root, "-c", conf, "-e", "stderr"], capture_output=True, text=True)
    assert check.returncode != 0


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.isdir("/etc/nginx"), reason="needs root and /etc/nginx")
def test_the_site_fits_debians_nginx_layout(tmp_path):
    """As Ansible installs it: Debian's nginx.conf with its access_log line dropped, the lab's log format in conf.d/
    (the nginx role's defaults), the site in sites-enabled/."""
    confdir = tmp_path / "nginx"
    shutil.copytree("/etc/nginx", confdir, symlinks=True)
    main = confdir / "nginx.conf"
    text = re.sub(r"(?m)^\s*access_log\s+/var/log/nginx/access\.log;", "", main.read_text())
    main.write_text(text.replace("/etc/nginx/", f"{confdir}/"))
    for enabled in (confdir / "sites-enabled").iterdir():
        enabled.unlink()
    defaults = yaml.safe_load((NGINX_ROLE / "defaults" / "main.yml").read_text())
    (confdir / "conf.d" / "stacklab-log.conf").write_text(
        render_template(NGINX_ROLE / "templates" / "stacklab-access-log.conf.j2", ansible_managed="-", **defaults)
    )
    (confdir / "sites-enabled" / "stacklab-wsgi").write_text(
        render_nginx_site(wsgi_port=8084, wsgi_upstream="unix:/run/stacklab-wsgi/gunicorn.sock")
    )
    check = subprocess.run([NGINX, "-t", "-c", str(main), "-e", "stderr"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def tmp_run_dir() -> Path:
    """A short path (unix socket paths are limited to 107 bytes) that nginx's workers can traverse."""
    path = Path(tempfile.mkdtemp(prefix="stacklab-wsgi-run-"))
    path.chmod(0o755)
    return path


def test_the_site_and_the_containers_nginx_conf_bound_slow_clients():
    site = render_nginx_site(wsgi_port=8084, wsgi_upstream="wsgi:8000")
    assert nginx_timeouts(site) == SLOW_CLIENT_TIMEOUTS
    front = Path(__file__).resolve().parents[3] / "docker" / "nginx" / "nginx.conf"  # every front container's
    assert nginx_timeouts(front.read_text()) == SLOW_CLIENT_TIMEOUTS
