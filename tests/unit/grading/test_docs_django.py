"""docs/exercises.md, "The Django sites": its example booksite, run as a student would, gets exactly the output
and the exit status the page shows (client ports and the Date header aside), and the page's table lists the two
Django exercises as the grader names them."""

import re
import subprocess
import sys
from pathlib import Path

from stacklab_grading.exercises import EXERCISES

from tests.unit.grading.helpers import wait_listening
from tests.unit.servers import BIN, free_port

PAGE = (Path(__file__).parents[3] / "docs" / "exercises.md").read_text()
SECTION = PAGE.split("\n## The Django sites (weeks 9-10)\n")[1].split("\n## ")[0]
[SERVER] = re.findall(r"```python\n(.*?)```", SECTION, re.S)
[(COMMAND, EXPECTED)] = re.findall(r"^\$ uv run (stacklab-check [^\n]+)\n(.*?)\n```", SECTION, re.M | re.S)
CLIENT_PORT = re.compile(r"connected from 127\.0\.0\.1:\d+")
DATE = re.compile(r"Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT")


def test_the_booksite_transcript_is_what_the_checker_prints(tmp_path):
    port = str(free_port())
    program = tmp_path / "my_booksite.py"
    program.write_text(SERVER.replace("8000", port))
    server = subprocess.Popen([sys.executable, str(program)], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(int(port), server)
        argv = COMMAND.replace("8000", port).split()
        result = subprocess.run([str(BIN / argv[0]), *argv[1:]], capture_output=True, text=True, timeout=60)
    finally:
        server.kill()
        server.wait()
    shown = CLIENT_PORT.sub("connected from 127.0.0.1:50123", result.stdout.rstrip("\n")).replace(port, "8000")
    assert DATE.sub("Date: Tue, 07 Feb 2012 18:00:00 GMT", shown) == EXPECTED
    assert EXPECTED.endswith("6 passed, 1 failed, 1 not run")
    assert result.returncode == 1


def test_the_table_names_each_django_exercise_with_its_week_and_port():
    rows = re.findall(r"^\| `(\w+)` \| ([\d-]+) \| (\d+) \|", SECTION, re.M)
    assert rows == [
        (name, EXERCISES[name].week, str(EXERCISES[name].port)) for name in ("django_booksite", "django_bookshop")
    ]
