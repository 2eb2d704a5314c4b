"""docs/exercises.md, "The web-API clients": the course's json_time.py, run as a student would, gets exactly the
output and the exit status the page shows (ports aside: the kernel picks them)."""

import re
import subprocess
from pathlib import Path

from tests.unit.servers import BIN

PAGE = (Path(__file__).parents[3] / "docs" / "exercises.md").read_text()
SECTION = PAGE.split("\n## The web-API clients (week 5)\n")[1].split("\n## ")[0]
[CLIENT] = re.findall(r"```python\n(.*?)```", SECTION, re.S)
[(COMMAND, EXPECTED)] = re.findall(r"^\$ uv run (stacklab-check [^\n]+)\n(.*?)\n```", SECTION, re.M | re.S)
PORT = re.compile(r"127\.0\.0\.1:\d+")


def test_the_transcript_is_what_the_checker_prints(tmp_path):
    (tmp_path / "json_time.py").write_text(CLIENT)
    argv = COMMAND.split()
    result = subprocess.run([str(BIN / argv[0]), *argv[1:]], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert PORT.sub("PORT", result.stdout.rstrip("\n")) == PORT.sub("PORT", EXPECTED)
    assert result.returncode == 1
