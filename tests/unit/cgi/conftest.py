"""Fixtures for the CGI tests: the programs installed as stacklab-cgi-install installs them, run either the way a
server runs them (a subprocess with CGI variables and stdin) or by a real Apache with the site template."""

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.unit.conftest import free_port
from tests.unit.harness import install_service_wheel, render_template

ROOT = Path(__file__).resolve().parents[3]
SERVICE = ROOT / "services" / "cgi"
TEMPLATE = SERVICE / "conf" / "apache-site.conf.j2"
APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
APACHECTL = shutil.which("apache2ctl") or "/usr/sbin/apache2ctl"
MODULES = Path("/usr/lib/apache2/modules")
SYSTEM_PYTHON = Path("/usr/bin/python3")  # what a CGI user (www-data) can run; the workspace venv may sit in /root

needs_apache = pytest.mark.skipif(
    not (os.access(APACHE, os.X_OK) and (MODULES / "mod_cgid.so").exists()),
    reason="Apache is not installed (apt-get install apache2): the real-Apache CGI tests need /usr/sbin/apache2",
)


@dataclass
class CgiResult:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: str
    stderr: str


def run_cgi(script: Path, env: dict, stdin: bytes | int = b"") -> CgiResult:
    """Run a CGI program as a server does: CGI variables in a minimal environment, the body on stdin, cwd = its dir."""
    environ = {"PATH": "/usr/bin:/bin", "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1", **env}
    proc = subprocess.run(
        [str(script)],
        env=environ,
        input=stdin if isinstance(stdin, bytes) else None,
        stdin=None if isinstance(stdin, bytes) else stdin,
        capture_output=True,
        cwd=script.parent,
        timeout=30,
    )
    head, separator, body = proc.stdout.partition(b"\n\n")
    assert separator, f"no blank line after the CGI headers: {proc.stdout[:300]!r} stderr={proc.stderr!r}"
    headers = {}
    for line in head.decode("ascii").splitlines():
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    status = int(headers.get("status", "200").split()[0])
    return CgiResult(status, headers, body.decode("utf-8"), proc.stderr.decode("utf-8", "replace"))


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


def render_site(**variables) -> str:
    """The site as compose and Ansible render it: lab_port from the port plan unless a test sets it."""
    return render_template(TEMPLATE, **{"lab_port": "8090", **variables})


def httpd_conf(root: Path, site: Path) -> str:
    """A main configuration of our own (no /etc/apache2) that includes the rendered site, as Debian's does."""
    modules = ["mpm_event", "authz_core", "authz_host", "alias", "cgid", "headers", "mime", "dir", "autoindex", "env"]
    modules.append("reqtimeout")  # the site's RequestReadTimeout (on by default in Debian, as in the image)
    lines = [
        f'ServerRoot "{root}"',
        "ServerName 127.0.0.1",
        f"PidFile {root}/run/apache2.pid",
        f"Mutex file:{root}/run default",
        f"ScriptSock {root}/run/cgisock",
        "ErrorLog /proc/self/fd/2",
        "LogLevel warn",
        "StartServers 1",
        "ServerLimit 2",
        "ThreadsPerChild 8",
        "MaxRequestWorkers 16",
        "MinSpareThreads 1",
        "MaxSpareThreads 16",
        *(f"LoadModule {name}_module {MODULES}/mod_{name}.so" for name in modules),
        "TypesConfig /etc/mime.types" if Path("/etc/mime.types").exists() else "AddType text/html .html",
    ]
    if os.geteuid() == 0:  # Apache refuses to serve as root: children and CGI programs run as www-data, as on Debian
        user = "www-data" if _user_exists("www-data") else "nobody"
        lines += [f"User {user}", f"Group #{pwd.getpwnam(user).pw_gid}"]
    lines.append(f"Include {site}")
    return "\n".join(lines) + "\n"


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@dataclass
class ApacheSite:
    port: int
    root: Path
    cgi_bin: Path
    conf: Path
    server: object  # the start_server Server: .log(), .wait_for_log()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


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
