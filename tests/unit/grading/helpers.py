"""What the grader's tests share: the zoo (tests/unit/grading/zoo/<exercise>/<name>.py) and how to wait for a
program to listen."""

import subprocess
import time
from pathlib import Path

ZOO = Path(__file__).parent / "zoo"
PREFIX = "zoo-student"  # not the course's uw-student: a hard-coded prefix must show


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
