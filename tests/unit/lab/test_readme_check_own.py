"""README.md, "Check your own server": the example server, run as a student would, passes the check with the
output shown, and the same server without the prefix fails it with the output shown."""

import re
import subprocess
import sys
from pathlib import Path

from tests.unit.servers import BIN, free_port

README = (Path(__file__).parents[3] / "README.md").read_text()
SECTION = README.split("## Check your own server", 1)[1].split("\n## ", 1)[0]
SERVER = re.search(r"```python\n(.*?)```", SECTION, re.S).group(1)
TRANSCRIPTS = re.findall(r"^\$ uv run (stacklab-check [^\n]+)\n(.*?)\n```", SECTION, re.M | re.S)


def check(start_server, source: str, command: str) -> tuple[int, str]:
    port = free_port()
    start_server([sys.executable, "-c", source.replace("9999", str(port))], port)
    argv = command.replace("9999", str(port)).split()
    result = subprocess.run([str(BIN / argv[0]), *argv[1:]], capture_output=True, text=True, timeout=30)
    return result.returncode, re.sub(r"\d+\.\d\ds", "0.00s", result.stdout.strip())


def test_readme_shows_a_passing_and_a_failing_check():
    assert [expected.split()[0] for _, expected in TRANSCRIPTS] == ["ok", "FAIL"]


def test_the_example_server_passes_as_shown(start_server):
    command, expected = TRANSCRIPTS[0]
    assert check(start_server, SERVER, command) == (0, expected)


def test_the_server_without_the_prefix_fails_as_shown(start_server):
    command, expected = TRANSCRIPTS[1]
    without_prefix = SERVER.replace('b"uw-student: " + ', "")
    assert without_prefix != SERVER
    assert check(start_server, without_prefix, command) == (1, expected)
