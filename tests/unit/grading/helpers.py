"""What the grader's tests share: the zoo (tests/unit/grading/zoo/<exercise>/<name>.py, and client_zoo/ for the
clients), what each zoo program expects, and how to wait for a program to listen."""

import re
import subprocess
import time
from pathlib import Path

from stacklab_grading import engine, report

ZOO = Path(__file__).parent / "zoo"
CGI_SERVER = Path(__file__).parent / "cgi_server.py"  # `python cgi_server.py PORT`: the CGI lab's server, in its dir
PREFIX = "zoo-student"  # not the course's uw-student: a hard-coded prefix must show


def expectation(program: Path) -> str:
    """A zoo program's `expect:` line: "pass", or the hint id of its first failure."""
    return re.search(r"^expect: (\S+)$", program.read_text(), re.M).group(1)


def ident(program: Path) -> str:
    """A zoo program's test id: exercise/name."""
    return f"{program.parent.name}/{program.stem}"


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """Wait until something listens on the port, without connecting: a probe connection would be a client that
    sends nothing, which some broken programs cannot survive (and one-client programs would spend on it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the program exited with {proc.returncode} before listening"
        rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
        if any(row.split()[3] == "0A" and int(row.split()[1].rsplit(":", 1)[1], 16) == port for row in rows):
            return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def assert_passes(exercise: engine.Exercise, port: int, prefix: str, runs: int, wait: float) -> None:
    """Every check of the exercise passes against the server on 127.0.0.1:port, in each of `runs` runs."""
    for run in range(1, runs + 1):
        results = engine.run(exercise, engine.Context("127.0.0.1", port, prefix, wait=wait))
        shown = report.terminal(exercise, results, f"127.0.0.1:{port}")
        assert [r.status for r in results] == ["pass"] * len(results), f"run {run}:\n{shown}"
