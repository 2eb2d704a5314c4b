"""docs/exercises.md, "The HTTP servers": its example echo_www, run as a student would, gets exactly the output
and the exit status the page shows (client ports aside); the ws30-docroot command it names writes the fixture."""

import re
import subprocess
import sys
from pathlib import Path

from stacklab_grading.exercises.ws30 import DOCROOT

from tests.unit.grading.helpers import wait_listening
from tests.unit.servers import BIN, free_port

PAGE = (Path(__file__).parents[3] / "docs" / "exercises.md").read_text()
SECTION = PAGE.split("\n## The HTTP servers")[1].split("\n## ")[0]
[SERVER] = re.findall(r"```python\n(.*?)```", SECTION, re.S)
[(COMMAND, EXPECTED)] = re.findall(r"^\$ uv run (stacklab-check [^\n]+)\n(.*?)\n```", SECTION, re.M | re.S)
CLIENT_PORT = re.compile(r"connected from 127\.0\.0\.1:\d+")


def test_the_echo_www_transcript_is_what_the_checker_prints(tmp_path):
    port = str(free_port())
    program = tmp_path / "my_echo_www.py"
    program.write_text(SERVER.replace("9997", port))
    server = subprocess.Popen([sys.executable, str(program)], stdin=subprocess.DEVNULL)
    try:
        wait_listening(int(port), server)
        argv = COMMAND.replace("9997", port).split()
        result = subprocess.run([str(BIN / argv[0]), *argv[1:]], capture_output=True, text=True, timeout=60)
    finally:
        server.kill()
        server.wait()
    shown = CLIENT_PORT.sub("connected from 127.0.0.1:50123", result.stdout.rstrip("\n")).replace(port, "9997")
    assert shown == EXPECTED
    assert EXPECTED.endswith("8 passed, 2 failed, 0 not run")
    assert result.returncode == 1


def test_ws30_docroot_writes_the_fixture(tmp_path):
    result = subprocess.run([str(BIN / "stacklab-check"), "ws30-docroot", str(tmp_path / "root")], timeout=30)
    assert result.returncode == 0
    written = {
        str(p.relative_to(tmp_path / "root")): p.read_bytes() for p in (tmp_path / "root").rglob("*") if p.is_file()
    }
    assert written == DOCROOT
