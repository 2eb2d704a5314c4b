"""The app as deployed: migrated and seeded by its commands, served by a real gunicorn, behind a real nginx."""

import re
import subprocess
from pathlib import Path

import pytest
import requests

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

CONF = Path(__file__).parents[3] / "services" / "django" / "conf"
JON_PASSWORD = "jon-test-password-4-gunicorn"


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [BIN / "stacklab-django-manage", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def deployed_env(make_app_env, tmp_path_factory):
    """A database migrated and seeded, and static files collected, as a deployment does it (once per module)."""
    env = {
        **make_app_env(tmp_path_factory.mktemp("deployed")),
        "DJANGO_DEMO_PASSWORD_JON": JON_PASSWORD,
        "DJANGO_DEMO_USERS": "jon:jon@uw.edu",
    }
    manage(env, "migrate", "--noinput")
    assert manage(env, "seed_demo_users") == "demo user jon: created\n"
    manage(env, "collectstatic", "--noinput")
    return env


def start_gunicorn(start_server, env: dict):
    return boot_gunicorn(start_server, CONF / "gunicorn.conf.py", free_port(), env)


@pytest.fixture
def gunicorn(start_server, deployed_env):
    return start_gunicorn(start_server, deployed_env)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def log_in_and_out(base: str) -> None:
    """The course's flow (week10/logins.txt) with requests, plus the POST logout of Django 5."""
    with requests.Session() as browser:
        page = browser.get(f"{base}/books/", timeout=10)
        assert page.url == f"{base}/accounts/login/?next=/books/"  # followed the 302
        assert page.history[0].status_code == 302
        form = {
            "username": "jon",
            "password": JON_PASSWORD,
            "next": "/books/",
            "csrfmiddlewaretoken": csrf_token(page.text),
        }
        books = browser.post(page.url, data=form, timeout=10)
        assert books.url == f"{base}/books/"
        assert "<strong>User:</strong> jon" in books.text
        assert "sessionid" in browser.cookies
        detail = browser.get(f"{base}/books/detail/978-1904811848", timeout=10)
        assert "Author: Sylvain Hellegouarch" in detail.text
        assert browser.get(f"{base}/accounts/logout/", timeout=10).status_code == 405
        out = browser.post(
            f"{base}/accounts/logout/", data={"csrfmiddlewaretoken": csrf_token(detail.text)}, timeout=10
        )
        assert "Logged out" in out.text
        assert browser.get(f"{base}/books/", timeout=10).url.startswith(f"{base}/accounts/login/")


def test_login_through_gunicorn(gunicorn):
    log_in_and_out(f"http://127.0.0.1:{gunicorn.port}")
    assert "Booting worker" in gunicorn.log()  # gunicorn's own log goes to stdout
    gunicorn.wait_for_log('"POST /accounts/login/?next=/books/ HTTP/1.1" 302')  # and so does the access log


def test_wrong_password_through_gunicorn(gunicorn):
    base = f"http://127.0.0.1:{gunicorn.port}"
    with requests.Session() as browser:
        page = browser.get(f"{base}/accounts/login/", timeout=10)
        form = {"username": "jon", "password": "wrong", "csrfmiddlewaretoken": csrf_token(page.text)}
        response = browser.post(page.url, data=form, timeout=10)
        assert response.status_code == 200
        assert "Sorry, that's not a valid username or password" in response.text
        assert "sessionid" not in browser.cookies


def test_healthz_and_404_under_gunicorn(gunicorn):
    response = requests.get(f"http://127.0.0.1:{gunicorn.port}/healthz", timeout=10)
    assert (response.status_code, response.text) == (200, "ok")
    response = requests.get(f"http://127.0.0.1:{gunicorn.port}/", timeout=10)
    assert response.status_code == 404
    assert "404 - page not found" in response.text
    assert gunicorn.stop() == 0  # SIGTERM: a clean exit


def test_the_package_carries_the_gunicorn_settings(start_server, deployed_env):
    """As a server without a checkout runs it: the settings module from the installed package (conf/ symlinked)."""
    port = free_port()
    env = {**deployed_env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
    server = start_server(["python", "-m", "gunicorn", "-c", "python:stacklab_django.gunicorn_conf"], port, env)
    response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
    assert (response.status_code, response.text) == (200, "ok")
    server.wait_for_log('"GET /healthz HTTP/1.1" 200')


def test_healthz_is_503_without_the_schema(start_server, app_env):
    server = start_gunicorn(start_server, app_env)  # never migrated: the books table is missing
    response = requests.get(f"http://127.0.0.1:{server.port}/healthz", timeout=10)
    assert (response.status_code, response.text) == (503, "database unavailable")
    server.wait_for_log("healthz: database check failed: no such table: books")


def render_site(port: int, upstream: str, static_root: str) -> str:
    return render_template(
        CONF / "nginx-site.conf.j2", django_port=port, django_upstream=upstream, django_static_root=static_root
    )


@pytest.fixture
def nginx(start_server, gunicorn, deployed_env, tmp_path):
    port = free_port()
    site = render_site(port, f"127.0.0.1:{gunicorn.port}", deployed_env["DJANGO_STATIC_ROOT"])
    conf = write_nginx_conf(tmp_path, site, TEST_USER)  # as root, keep the workers able to read the test's files
    return start_server(nginx_argv(tmp_path, conf), port)


@needs_nginx
def test_login_through_nginx(nginx, gunicorn):
    log_in_and_out(f"http://127.0.0.1:{nginx.port}")
    page = requests.get(f"http://127.0.0.1:{nginx.port}/accounts/login/", timeout=10)
    assert page.headers.get("X-Frame-Options") == "DENY"  # once, not from both nginx and the app
    assert page.headers["Server"] == "nginx"  # no version


@needs_nginx
def test_nginx_serves_the_admin_static_files(nginx, gunicorn, deployed_env):
    response = requests.get(f"http://127.0.0.1:{nginx.port}/static/admin/css/base.css", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/css"
    assert response.text == (Path(deployed_env["DJANGO_STATIC_ROOT"]) / "admin/css/base.css").read_text()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "/static/" not in gunicorn.log()  # nginx answered it


@needs_nginx
def test_nginx_serves_the_stylesheet_the_pages_link(nginx, gunicorn, deployed_env):
    page = requests.get(f"http://127.0.0.1:{nginx.port}/accounts/login/", timeout=10)
    href = re.search(r'<link rel="stylesheet" href="([^"]+)">', page.text).group(1)
    response = requests.get(f"http://127.0.0.1:{nginx.port}{href}", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/css"
    assert response.text == (Path(deployed_env["DJANGO_STATIC_ROOT"]) / "stacklab_django/style.css").read_text()
    assert "header" in response.text
    assert href not in gunicorn.log()  # nginx answered it


@needs_nginx
def test_nginx_refuses_big_bodies(nginx):
    response = requests.post(f"http://127.0.0.1:{nginx.port}/accounts/login/", data="x" * 2_000_000, timeout=10)
    assert response.status_code == 413


def test_template_documents_every_variable():
    source = (CONF / "nginx-site.conf.j2").read_text()
    header = source.split("#}")[0]
    for variable in set(re.findall(r"{{\s*(\w+)", source)):
        assert variable in header, variable


def test_the_site_bounds_slow_clients():
    assert nginx_timeouts(render_site(8000, "django:8000", "/srv/static")) == SLOW_CLIENT_TIMEOUTS
