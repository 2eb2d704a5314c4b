"""Fixtures of the grader's tests: the zoo's programs (tests/unit/grading/zoo) run as real processes."""

import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest
from stacklab_grading.exercises.ws30 import write_docroot

from tests.unit.grading.helpers import CGI_SERVER, PREFIX, wait_listening
from tests.unit.servers import free_port


@pytest.fixture
def run_program(tmp_path):
    """run_program(path) -> port: the zoo program listening on 127.0.0.1:port, stopped after the test. Its
    stdin stays open and empty, as a terminal nobody types in (the course's select servers read stdin). A ws30
    program runs in the fixture document root, as the course's ws30 served the directory it ran in. A cgi_echo
    program is a CGI program: it runs as cgi-bin/echo_cgi.py under http.server's CGI handler (cgi_server.py),
    beside the lab's form page echo_cgi.html."""
    procs: list[subprocess.Popen] = []

    def start(program: Path) -> int:
        port = free_port()
        cwd = write_docroot(tmp_path / "docroot") if program.parent.name == "ws30" else tmp_path
        argv = [sys.executable, str(program), str(port), PREFIX]
        if program.parent.name == "cgi_echo":
            cwd = cgi_docroot(tmp_path / "cgi", program)
            argv = [sys.executable, "-W", "ignore::DeprecationWarning", str(CGI_SERVER), str(port)]
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(proc)
        wait_listening(port, proc)
        return port

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()
        proc.stdin.close()


def cgi_docroot(root: Path, program: Path) -> Path:
    """The lab's echo_cgi.html and `program` as cgi-bin/echo_cgi.py, as a student lays out the CGI lab."""
    (root / "cgi-bin").mkdir(parents=True)
    (root / "echo_cgi.html").write_bytes((files("stacklab_cgi") / "htdocs" / "echo_cgi.html").read_bytes())
    (root / "cgi-bin" / "echo_cgi.py").write_bytes(program.read_bytes())
    return root
