"""`./run try SERVICE PROGRAM`: a student's server in place of the lab's echo, with its limits, graded through the
published port and shown on the lab index; a broken one shows its failing grade; one bound to the container's
loopback, or crashing at once, is refused with a clear message and the lab's server comes back; `--stop` puts the
lab's back (bad input that needs no Docker: tests/unit/lab/test_try.py). The programs are the grader's zoo
(tests/unit/grading/zoo/echo), which binds 127.0.0.1 for the unit tests: in a container a server binds every
address, so the tests copy them with "" instead."""

import json
import re
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
ZOO_BODY = (ZOO / "threads.py").read_text().split('"""\n\n', 1)[1]  # without its docstring
SECTION = (targets.ROOT / "docs/exercises.md").read_text().split("\n## Try your server in the lab\n")[1]
[DOCS_PROGRAM] = re.findall(r"```python\n(.*?)```", SECTION.split("\n## ")[0], re.S)
[(TRY_COMMAND, TRY_OUTPUT, STOP_COMMAND, STOP_OUTPUT)] = re.findall(
    r"^\$ (\./run try .*?)\n(.*?\n)\$ (\./run try .*?)\n(.*?\n)```", SECTION, re.M | re.S
)
LOOPBACK_SAID = re.search(r"is refused .*?```\n(try: .*?)\n```", SECTION, re.S).group(1)


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


def lab_echo_answers(target, port_key: str = "ECHO_PORT") -> bytes:
    with socket.create_connection((target.address, target.port(port_key)), timeout=5) as sock:
        sock.sendall(b"Hello, world")
        return sock.recv(1024)


@pytest.fixture
def prefix(target) -> str:
    return target.plan.get("ECHO_PREFIX") or engine.DEFAULT_PREFIX


def test_a_students_echo_runs_in_place_graded_on_the_index_then_the_labs_comes_back(target, tmp_path, prefix):
    """docs/exercises.md's transcript, its program the zoo's threads.py on every address; then a broken one."""
    program = tmp_path / "my_echo.py"
    program.write_text(DOCS_PROGRAM)
    assert ZOO_BODY.replace('("127.0.0.1", port)', '("", port)') == DOCS_PROGRAM
    tried = run_try(*TRY_COMMAND.replace("my_echo.py", str(program)).split()[2:])
    assert (tried.returncode, tried.stdout) == (0, TRY_OUTPUT), tried.stderr
    context = engine.Context(target.address, target.port("ECHO_PORT"), prefix, 3.0)
    results = engine.run(EXERCISES["echo"], context)
    assert [r.status for r in results] == ["pass"] * len(results)
    row = lab_row(target, "echo")
    assert row["try"]["program"] == "my_echo.py" and row["try"]["passed"], row

    tried = run_try("echo", str(in_container(tmp_path, "no_prefix.py")), prefix)
    assert tried.returncode == 1, tried.stdout + tried.stderr
    row = lab_row(target, "echo")
    assert row["try"]["program"] == "my_no_prefix.py" and not row["try"]["passed"], row
    url = f"http://{target.address}:{target.port('LAB_PORT')}/try/echo"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert "the reply has no prefix" in response.read().decode()

    stopped = run_try(*STOP_COMMAND.split()[2:])
    assert (stopped.returncode, stopped.stdout) == (0, STOP_OUTPUT), stopped.stderr
    assert lab_echo_answers(target) == f"{prefix}: Hello, world".encode()
    assert lab_row(target, "echo")["try"] is None


def test_a_server_on_the_containers_loopback_or_crashing_is_refused_and_the_labs_comes_back(target, tmp_path, prefix):
    crash = tmp_path / "crash.py"
    crash.write_text("import sys\nsys.exit('no prefix given: ' + repr(sys.argv[2:]))\n")
    # Two services at once, each in its own container: the two waits overlap.
    loopback = subprocess.Popen(  # the zoo's server as it is: it binds 127.0.0.1
        ["./run", "try", "echo", str(ZOO / "threads.py"), prefix], cwd=targets.ROOT, stderr=subprocess.PIPE, text=True
    )
    crashed = run_try("recho", str(crash))
    said = loopback.communicate(timeout=120)[1]
    assert loopback.returncode == 2, said
    assert LOOPBACK_SAID in said.splitlines(), said
    assert crashed.returncode == 2, crashed.stdout + crashed.stderr
    assert "your program exited at once" in crashed.stderr and "no prefix given: []" in crashed.stderr
    assert lab_echo_answers(target, "ECHO_PORT") == f"{prefix}: Hello, world".encode()
    assert lab_echo_answers(target, "RECHO_PORT") == f"{prefix}: Hello, world".encode()
