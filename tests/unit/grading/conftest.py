"""Fixtures of the grader's tests: the zoo's programs (tests/unit/grading/zoo) run as real processes."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.grading.helpers import PREFIX, wait_listening
from tests.unit.servers import free_port


@pytest.fixture
def run_program():
    """run_program(path) -> port: the zoo program listening on 127.0.0.1:port, stopped after the test. Its
    stdin stays open and empty, as a terminal nobody types in (the course's select servers read stdin)."""
    procs: list[subprocess.Popen] = []

    def start(program: Path) -> int:
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, str(program), str(port), PREFIX],
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
