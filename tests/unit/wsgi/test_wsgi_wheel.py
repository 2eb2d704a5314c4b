"""The wheel as a server installs it: a virtualenv on the system python, no checkout, gunicorn's settings taken
from the package (`python -m gunicorn -c python:stacklab_wsgi.gunicorn_conf`), as a systemd unit starts it."""

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests

from tests.unit.harness import install_service_wheel
from tests.unit.servers import free_port
from tests.unit.wsgi.helpers import ROOT

SYSTEM_PYTHON = Path("/usr/bin/python3")


@pytest.fixture(scope="module")
def wheel_venv():
    uv = shutil.which("uv")
    if uv is None or not SYSTEM_PYTHON.exists():
        pytest.skip(f"needs uv and {SYSTEM_PYTHON} to build a virtualenv from the wheel")
    top = Path(tempfile.mkdtemp(prefix="stacklab-wsgi-venv-"))
    venv = top / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", SYSTEM_PYTHON, venv], check=True)
    install_service_wheel(venv / "bin" / "python", ROOT / "services/wsgi")
    yield venv
    shutil.rmtree(top, ignore_errors=True)


def test_installed_wheel_serves_with_its_packaged_gunicorn_settings(wheel_venv, start_server, tmp_path):
    port = free_port()
    server = start_server(
        [str(wheel_venv / "bin" / "python"), "-m", "gunicorn", "-c", "python:stacklab_wsgi.gunicorn_conf"],
        port,
        env={"GUNICORN_BIND": f"127.0.0.1:{port}", "WSGI_HISTORY_DB": str(tmp_path / "h.sqlite3")},
        cwd=tmp_path,  # not the checkout: everything must come from the installed wheel
    )
    reply = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
    assert (reply.status_code, reply.text) == (200, "ok\n")
    server.wait_for_log('"GET /healthz HTTP/1.1" 200')
