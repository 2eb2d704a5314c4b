"""The lab's own web apps pass their exercises: services/wsgi (wsgi_echo, wsgi_history) and services/flask
(flask_echo, flask_books), each under gunicorn as deployed (`-c conf/gunicorn.conf.py`, two workers sharing the
SQLite history) on a loopback port; the lab's CGI programs (cgi_echo), installed by stacklab-cgi-install, under
http.server's CGI handler as the zoo's run. Behind Apache, as the lab serves them, the compose stage grades them
(tests/health/test_webapps.py)."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from stacklab_grading.exercises import EXERCISES

from tests.unit.grading.helpers import CGI_SERVER, assert_passes
from tests.unit.harness import boot_gunicorn
from tests.unit.servers import free_port

SERVICES = Path(__file__).parents[3] / "services"
RUNS = 3
APPS = {
    "wsgi": (("wsgi_echo", "wsgi_history"), lambda tmp: {"WSGI_HISTORY_DB": str(tmp / "history.sqlite3")}),
    "flask": (
        ("flask_echo", "flask_books"),
        lambda tmp: {"FLASK_SECRET_KEY": "unit-test-only", "FLASK_HISTORY_DB": str(tmp / "history.sqlite3")},
    ),
}


@pytest.mark.parametrize("service", sorted(APPS))
def test_the_lab_web_app_passes_its_exercises(service, start_server, tmp_path):
    exercises, env = APPS[service]
    port = free_port()
    boot_gunicorn(start_server, SERVICES / service / "conf" / "gunicorn.conf.py", port, env(tmp_path))
    warm_up(port)
    for name in exercises:
        assert_passes(EXERCISES[name], port, "lab-student", RUNS, wait=2.0)


def test_the_lab_cgi_programs_pass_cgi_echo(start_server, tmp_path):
    root = tmp_path / "site"
    install = Path(sys.executable).parent / "stacklab-cgi-install"
    subprocess.run([install, root / "cgi-bin", "--docroot", root], check=True, capture_output=True)
    port = free_port()
    start_server(["python", "-W", "ignore::DeprecationWarning", str(CGI_SERVER), str(port)], port, cwd=root)
    assert_passes(EXERCISES["cgi_echo"], port, "lab-student", RUNS, wait=4.0)


def warm_up(port: int, answers: int = 4) -> None:
    """Until /healthz answers `answers` times in a row: a worker imports the app after it logs its boot, and under
    load that can outlast the checks' wait for their first reply."""
    deadline, streak = time.monotonic() + 30, 0
    while streak < answers:
        assert time.monotonic() < deadline, f"127.0.0.1:{port}/healthz never answered {answers} times in a row"
        try:
            streak = streak + 1 if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).ok else 0
        except requests.RequestException:
            streak = 0
            time.sleep(0.1)
