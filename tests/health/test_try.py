"""`./run try SERVICE PROGRAM`: a student's server in place of the lab's echo, with its limits, graded through the
published port and shown on the lab index; a broken one shows its failing grade; one bound to the container's
loopback, or crashing at once, is refused with a clear message and the lab's echo comes back; `--stop` puts the
lab's back. The programs are the grader's zoo (tests/unit/grading/zoo/echo), which binds 127.0.0.1 for the unit
tests: in a container a server binds every address, so the tests copy them with "" instead."""

import json
import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest
from stacklab_grading import engine
from stacklab_grading.exercises import EXERCISES
from stacklab_testing import target as targets

pytestmark = [pytest.mark.container, pytest.mark.disruptive]

ZOO = targets.ROOT / "tests/unit/grading/zoo/echo"


def run_try(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["./run", "try", *args], cwd=targets.ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def in_container(tmp_path: Path, zoo_name: str) -> Path:
    """The zoo program, bound to every address instead of 127.0.0.1."""
    program = tmp_path / f"my_{zoo_name}"
    program.write_text((ZOO / zoo_name).read_text().replace('"127.0.0.1"', '""'))
    return program


def lab_row(target, name: str) -> dict:
    url = f"http://{target.address}:{target.port('LAB_PORT')}/status.json"
    with urllib.request.urlopen(url, timeout=10) as response:
        return next(row for row in json.load(response)["services"] if row["name"] == name)


def lab_echo_answers(target) -> bytes:
    with socket.create_connection((target.address, target.port("ECHO_PORT")), timeout=5) as sock:
        sock.sendall(b"Hello, world")
        return sock.recv(1024)


@pytest.fixture
def prefix(target) -> str:
    return target.plan.get("ECHO_PREFIX") or engine.DEFAULT_PREFIX


def test_a_students_echo_runs_in_place_graded_on_the_index_then_the_labs_comes_back(target, tmp_path, prefix):
    tried = run_try("echo", str(in_container(tmp_path, "threads.py")), prefix)
    assert tried.returncode == 0, tried.stdout + tried.stderr
    context = engine.Context(target.address, target.port("ECHO_PORT"), prefix, 3.0)
    results = engine.run(EXERCISES["echo"], context)
    assert [r.status for r in results] == ["pass"] * len(results)
    row = lab_row(target, "echo")
    assert row["try"]["program"] == "my_threads.py" and row["try"]["passed"], row

    tried = run_try("echo", str(in_container(tmp_path, "no_prefix.py")), prefix)
    assert tried.returncode == 1, tried.stdout + tried.stderr
    row = lab_row(target, "echo")
    assert row["try"]["program"] == "my_no_prefix.py" and not row["try"]["passed"], row
    url = f"http://{target.address}:{target.port('LAB_PORT')}/try/echo"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert "the reply has no prefix" in response.read().decode()

    stopped = run_try("echo", "--stop")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert lab_echo_answers(target) == f"{prefix}: Hello, world".encode()
    assert lab_row(target, "echo")["try"] is None


def test_a_server_on_the_containers_loopback_or_crashing_is_refused_and_the_labs_comes_back(target, tmp_path, prefix):
    tried = run_try("echo", str(ZOO / "threads.py"), prefix)  # binds 127.0.0.1
    assert tried.returncode == 2, tried.stdout + tried.stderr
    assert "on the container's loopback address only" in tried.stderr and "'0.0.0.0'" in tried.stderr
    assert lab_echo_answers(target) == f"{prefix}: Hello, world".encode()

    crash = tmp_path / "crash.py"
    crash.write_text("import sys\nsys.exit('no port given: ' + repr(sys.argv[2:]))\n")
    tried = run_try("echo", str(crash))
    assert tried.returncode == 2, tried.stdout + tried.stderr
    assert "your program exited at once" in tried.stderr and "no port given: []" in tried.stderr
    assert lab_echo_answers(target) == f"{prefix}: Hello, world".encode()


def test_a_missing_program_or_an_unknown_service_says_so(tmp_path):
    missing = run_try("echo", str(tmp_path / "nowhere.py"))
    assert missing.returncode == 2 and "nowhere.py: no such file" in missing.stderr
    unknown = run_try("django", str(ZOO / "threads.py"))
    assert unknown.returncode == 2 and "django: not a service you can try; one of: echo, recho" in unknown.stderr
