"""docs/exercises.md, "The web apps": its example echo_wsgi, run as a student would, gets exactly the output and
the exit status the page shows (client ports aside, and wsgiref's Date and Python version in the response heads);
its table names every web exercise with its week and course port."""

import re
import subprocess
import sys
from pathlib import Path

from stacklab_grading.exercises import EXERCISES

from tests.unit.grading.helpers import wait_listening
from tests.unit.servers import BIN, free_port

PAGE = (Path(__file__).parents[3] / "docs" / "exercises.md").read_text()
SECTION = PAGE.split("\n## The web apps")[1].split("\n## ")[0]
[APP] = re.findall(r"```python\n(.*?)```", SECTION, re.S)
[(COMMAND, EXPECTED)] = re.findall(r"^\$ uv run (stacklab-check [^\n]+)\n(.*?)\n```", SECTION, re.M | re.S)
VARYING = [
    (re.compile(r"connected from 127\.0\.0\.1:\d+"), "connected from 127.0.0.1:50123"),
    (re.compile(r"Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT"), "Date: Mon, 07 Dec 2026 20:30:00 GMT"),
    (re.compile(r"CPython/3\.\d+\.\d+"), "CPython/3.11.7"),  # the same length on 3.11.2 (Debian 12) and 3.11.7
]


def test_the_echo_wsgi_transcript_is_what_the_checker_prints(tmp_path):
    port = str(free_port())
    program = tmp_path / "my_echo_wsgi.py"
    program.write_text(APP.replace("19996", port))
    server = subprocess.Popen([sys.executable, str(program)], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(int(port), server)
        argv = COMMAND.replace("19996", port).split()
        result = subprocess.run([str(BIN / argv[0]), *argv[1:]], capture_output=True, text=True, timeout=60)
    finally:
        server.kill()
        server.wait()
    shown = result.stdout.rstrip("\n").replace(port, "19996")
    for pattern, fixed in VARYING:
        shown = pattern.sub(fixed, shown)
    assert shown == EXPECTED
    assert EXPECTED.endswith("6 passed, 2 failed, 0 not run")
    assert result.returncode == 1


def test_the_table_lists_every_web_exercise_as_registered():
    rows = re.findall(r"^\| `(\w+)` \| ([\d-]+) \| (\d+) \|", SECTION, re.M)
    web = {name: e for name, e in EXERCISES.items() if e.by_roster_port and name in {r[0] for r in rows}}
    assert [name for name, *_ in rows] == ["cgi_echo", "wsgi_echo", "wsgi_history", "flask_echo", "flask_books"]
    for name, week, port in rows:
        assert (web[name].week, web[name].port) == (week.split("-")[0], int(port))
