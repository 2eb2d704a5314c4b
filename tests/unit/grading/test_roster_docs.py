"""docs/exercises.md, "A class at once": its roster, run against the page's own echo server, prints exactly the
lines and the CSV the page shows (ports aside: the test picks free ones; the first-pass time aside)."""

import re
import subprocess
import sys
from pathlib import Path

from tests.unit.grading.helpers import wait_listening
from tests.unit.servers import BIN, free_port

DOC = (Path(__file__).parents[3] / "docs" / "exercises.md").read_text()
SECTION = DOC.split("## A class at once", 1)[1]
[TRANSCRIPT] = re.findall(r"^```\n(\$ cat class\.csv\n.*?)```", SECTION, re.M | re.S)
ECHO_SERVER = re.findall(r"```python\n(.*?)```", DOC, re.S)[0]  # my_echo.py, on port 9999
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00")


def test_the_class_transcript_is_what_the_checker_prints(tmp_path):
    steps = re.split(r"^\$ ", TRANSCRIPT, flags=re.M)[1:]
    (cat_roster, roster), (command, printed), (cat_csv, csv_text) = (step.split("\n", 1) for step in steps)
    assert (cat_roster, cat_csv) == ("cat class.csv", "cat grades.csv")
    ports = {"9999": str(free_port()), "9997": str(free_port())}  # 9997: nothing listens there

    def here(text: str) -> str:
        return re.sub(r"\b(9999|9997)\b", lambda m: ports[m.group(1)], text)

    (tmp_path / "class.csv").write_text(here(roster))
    (tmp_path / "my_echo.py").write_text(here(ECHO_SERVER))
    server = subprocess.Popen([sys.executable, "my_echo.py"], cwd=tmp_path, stdin=subprocess.DEVNULL)
    try:
        wait_listening(int(ports["9999"]), server)
        argv = command.split()
        result = subprocess.run(
            [str(BIN / argv[0]), *argv[1:]],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # the progress lines, then the summary: stderr is unbuffered
            text=True,
            timeout=60,
        )
    finally:
        server.kill()
        server.wait()
    assert result.returncode == 1
    assert result.stdout == here(printed)
    shown = TIME.sub("2026-12-07T20:30:00.000000+00:00", (tmp_path / "grades.csv").read_text())
    assert shown == here(csv_text)
    assert (tmp_path / "grades.sqlite3").exists() and "<table" in (tmp_path / "grades.html").read_text()
