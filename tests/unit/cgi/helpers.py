"""Helpers of the CGI tests: running a program as Apache runs it, the site and httpd.conf rendered, Apache's paths."""

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.unit.harness import render_template

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


def render_site(**variables) -> str:
    """The site as compose and Ansible render it: lab_port from the port plan unless a test sets it."""
    return render_template(TEMPLATE, **{"lab_port": "8090", **variables})


def httpd_conf(root: Path, site: Path) -> str:
    """A main configuration of our own (no /etc/apache2) that includes the rendered site, as Debian's does."""
    modules = ["mpm_event", "authz_core", "authz_host", "alias", "cgid", "headers", "mime", "dir", "autoindex", "env"]
    modules.append("reqtimeout")  # the site's RequestReadTimeout (on by default in Debian, as in the image)
    modules += ["setenvif", "unique_id"]  # the site's request id (setenvif on by default in Debian)
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


def get(installed: dict[str, Path], script: str, query: str = "", **env) -> CgiResult:
    """A GET of an installed CGI program (the `installed` fixture's cgi-bin)."""
    return run_cgi(installed["cgi_bin"] / script, {"REQUEST_METHOD": "GET", "QUERY_STRING": query, **env})
