"""Fixtures for the CGI tests: the programs installed as stacklab-cgi-install installs them, run either the way a
server runs them (a subprocess with CGI variables and stdin) or by a real Apache with the site template."""

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.cgi.helpers import APACHE, SERVICE, SYSTEM_PYTHON, ApacheSite, httpd_conf, render_site
from tests.unit.harness import install_service_wheel
from tests.unit.servers import free_port


@pytest.fixture
def installed(tmp_path) -> dict[str, Path]:
    """The programs installed by the workspace's stacklab-cgi-install (interpreter: the workspace venv)."""
    cgi_bin, docroot = tmp_path / "cgi-bin", tmp_path / "htdocs"
    subprocess.run(
        [Path(sys.executable).parent / "stacklab-cgi-install", cgi_bin, "--docroot", docroot],
        check=True,
        capture_output=True,
    )
    return {"cgi_bin": cgi_bin, "docroot": docroot}


@pytest.fixture(scope="session")
def cgi_venv() -> Iterator[Path]:
    """A virtualenv on the system python3 with the stacklab-cgi wheel installed (as on a VM), readable by the user
    Apache runs CGI programs as."""
    uv = shutil.which("uv")
    if uv is None or not SYSTEM_PYTHON.exists():
        pytest.skip(f"needs uv and {SYSTEM_PYTHON} to build a virtualenv the Apache user can run")
    top = Path(tempfile.mkdtemp(prefix="stacklab-cgi-venv-"))
    top.chmod(0o755)
    venv = top / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", SYSTEM_PYTHON, venv], check=True)
    install_service_wheel(venv / "bin" / "python", SERVICE)
    yield venv
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def apache_layout(cgi_venv, readable_tmp_dir):
    """make(python=None, **template_variables) -> (root, conf path, port): a docroot and cgi-bin installed by the
    venv's stacklab-cgi-install, a rendered site and a main configuration, all under a temp dir Apache can read."""

    def make(python: str | None = None, **variables) -> tuple[Path, Path, int]:
        root = readable_tmp_dir("stacklab-apache-")
        (root / "run").mkdir()
        install = [cgi_venv / "bin" / "stacklab-cgi-install", root / "cgi-bin", "--docroot", root / "htdocs"]
        subprocess.run([*install, *(["--python", python] if python else [])], check=True, capture_output=True)
        port = free_port()
        site = root / "site.conf"
        site.write_text(
            render_site(
                cgi_port=port,
                cgi_bind_address="127.0.0.1",
                cgi_document_root=root / "htdocs",
                cgi_bin_dir=root / "cgi-bin",
                **variables,
            )
        )
        conf = root / "httpd.conf"
        conf.write_text(httpd_conf(root, site))
        return root, conf, port

    return make


@pytest.fixture
def start_apache(apache_layout, start_server):
    """start_apache(python=None, **template_variables) -> ApacheSite: a real Apache in the foreground on 127.0.0.1,
    stopped after the test (SIGTERM) by start_server."""

    def start(python: str | None = None, **variables) -> ApacheSite:
        root, conf, port = apache_layout(python, **variables)
        server = start_server([APACHE, "-f", str(conf), "-D", "FOREGROUND"], port)
        return ApacheSite(port, root, root / "cgi-bin", conf, server)

    return start
