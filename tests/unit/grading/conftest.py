"""Fixtures of the grader's tests: the zoo's programs (tests/unit/grading/zoo) run as real processes."""

import subprocess
import sys
from pathlib import Path

import pytest
from stacklab_grading.exercises.ws30 import write_docroot

from tests.unit.grading.helpers import PREFIX, wait_listening
from tests.unit.servers import free_port


@pytest.fixture
def run_program(tmp_path):
    """run_program(path) -> port: the zoo program listening on 127.0.0.1:port, stopped after the test. Its
    stdin stays open and empty, as a terminal nobody types in (the course's select servers read stdin). A ws30
    program runs in the fixture document root, as the course's ws30 served the directory it ran in."""
    procs: list[subprocess.Popen] = []

    def start(program: Path) -> int:
        port = free_port()
        cwd = write_docroot(tmp_path / "docroot") if program.parent.name == "ws30" else None
        proc = subprocess.Popen(
            [sys.executable, str(program), str(port), PREFIX],
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
