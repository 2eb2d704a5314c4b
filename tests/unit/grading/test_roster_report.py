"""The class report: the roster's format and its mistakes, and the HTML report as headless Chromium renders it
(a student's name with markup in it shows as text; the grid's cells and the link to a failure are in the DOM;
the screenshot is a real picture). Chromium comes from the unit stage (`./run unit` installs the Debian package)."""

import re
import struct
import subprocess

import pytest
from stacklab_grading import roster
from stacklab_grading.exercises import EXERCISES
from stacklab_testing.browser import chromium

from tests.unit.grading import zoo_class
from tests.unit.grading.helpers import ZOO, expectation
from tests.unit.servers import BIN, free_port

NASTY = '<b>Eve</b> & "co"'  # a name that must show as text, not markup


def write(path, text: str):
    path.write_text(text)
    return path


def test_a_roster_reads_ports_per_exercise_prefix_defaults_and_skips(tmp_path):
    path = write(
        tmp_path / "class.csv",
        "\ufeffStudent,Host,Prefix,echo,chat\n# a comment\n\nAlice,a.example.org,alice,51000,-\nBob,10.0.0.2,,,\n",
    )
    alice, bob = roster.read(path, set(EXERCISES))
    assert (alice.prefix, alice.port("echo", 50000), alice.port("chat", 50004), alice.port("recho", 50002)) == (
        "alice",
        51000,
        None,
        50002,
    )
    assert (bob.name, bob.host, bob.prefix, bob.port("echo", 50000)) == ("Bob", "10.0.0.2", "Bob", 50000)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,host\na,b\n", "missing ['student']"),
        ("student,host,ftp\na,b,21\n", "unknown ['ftp']"),
        ("student,host,echo\na,b,70000\n", "echo port '70000'"),
        ("student,host\na,\n", "line 2: student and host are required"),
        ("student,host\n# a comment\n\na,b\nc,\n", "line 5: student and host are required"),
        ("student,host\na,b\na,c\n", "listed twice (['a'])"),
        ("", "empty roster"),
    ],
)
def test_a_roster_mistake_is_named(tmp_path, text, message):
    with pytest.raises(roster.RosterError, match=re.escape(message)):
        roster.read(write(tmp_path / "class.csv", text), set(EXERCISES))


def test_a_roster_mistake_exits_2_with_the_message(tmp_path):
    write(tmp_path / "class.csv", "student,host,echo\na,b,x\n")
    result = subprocess.run(
        [str(BIN / "stacklab-check"), "--roster", "class.csv"], cwd=tmp_path, capture_output=True, text=True
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert "line 2: echo port 'x' is not a port or '-'" in result.stderr


def test_the_report_renders_in_headless_chromium(tmp_path):
    port = free_port()
    correct, broken = (
        next(p for p in sorted((ZOO / "echo").glob("*.py")) if expectation(p) == verdict)
        for verdict in ("pass", "wrong-prefix")
    )
    seats = [
        zoo_class.Seat("Alice", "127.0.10.101", "echo", correct),
        zoo_class.Seat(NASTY, "127.0.10.102", "echo", broken),
        zoo_class.Seat("Absent", "127.0.10.103", "echo", None),
    ]
    servers = zoo_class.run_class(tmp_path, seats, {"echo": port})
    try:
        write(
            tmp_path / "class.csv",
            f'student,host,prefix,echo\nAlice,127.0.10.101,Alice-gh,{port}\n"{NASTY.replace(chr(34), 2 * chr(34))}",'
            f"127.0.10.102,{NASTY}-gh,{port}\nAbsent,127.0.10.103,,{port}\n",
        )
        sweep = subprocess.run(
            [str(BIN / "stacklab-check"), "--roster", "class.csv", "--exercise", "echo", "--wait", "1.5"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        servers.stop()
    assert "1 pass, 1 fail, 1 unreachable, 0 not run" in sweep.stdout, sweep.stderr
    page = (tmp_path / "grades.html").as_uri()
    browser = chromium(tmp_path / "profile")
    dom = subprocess.run([*browser, "--dump-dom", page], capture_output=True, text=True, timeout=60).stdout
    assert dom.count('<td class="cell ') == 3
    assert '<td class="cell pass"' in dom and "first passed " in dom
    assert '<a href="#s2-echo">fail 0/6</a>' in dom and 'id="s2-echo"' in dom
    assert '<a href="#s3-echo">unreachable</a>' in dom
    assert '&lt;b&gt;Eve&lt;/b&gt; &amp; "co"' in dom and "<b>Eve</b>" not in dom
    assert "hint: the reply begins with" in dom
    shot = tmp_path / "report.png"
    subprocess.run([*browser, f"--screenshot={shot}", "--window-size=900,600", page], capture_output=True, timeout=60)
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (900, 600)
    assert len(png) > 10_000  # a blank page compresses to a few hundred bytes
