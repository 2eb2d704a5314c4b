"""A class at once: `stacklab-check --roster` run as a teacher would, against 30 students on 127.0.10.1-30 whose
servers are the zoo's programs (zoo_class.py). Every cell of the grid, in the CSV, is what the program's `expect:`
line says; the sweep is kept in SQLite; a second sweep after one student fixed a server gives that cell its first
pass and keeps the others' first passes."""

import csv
import sqlite3
import subprocess

import pytest
from stacklab_grading.exercises import EXERCISES

from tests.unit.grading import zoo_class
from tests.unit.grading.helpers import ZOO, expectation
from tests.unit.servers import BIN, ensure_fd_limit, free_ports

WAIT = "1.5"  # seconds per reply, as in test_zoo: broken servers fail fast, correct ones answer in milliseconds
# The exercises with a zoo of students' servers that a roster without their column grades (not the web apps).
GRADED = [name for name, e in EXERCISES.items() if (ZOO / name).is_dir() and not e.by_roster_port]


@pytest.fixture
def school(tmp_path):
    ensure_fd_limit(4096)
    seats = zoo_class.seats(GRADED)
    ports = free_ports(GRADED)
    servers = zoo_class.run_class(tmp_path, seats, ports)
    zoo_class.write_roster(tmp_path / "class.csv", seats, ports)
    yield tmp_path, seats, ports, servers
    servers.stop()


def sweep(workdir, *options: str) -> subprocess.CompletedProcess:
    argv = [str(BIN / "stacklab-check"), "--roster", "class.csv", "--wait", WAIT, "--jobs", "16", *options]
    return subprocess.run(argv, cwd=workdir, capture_output=True, text=True, timeout=120)


def grid(workdir) -> dict[tuple[str, str], dict[str, str]]:
    with (workdir / "grades.csv").open(newline="") as file:
        return {(row["student"], row["exercise"]): row for row in csv.DictReader(file)}


def test_a_class_sweep_gives_the_expected_grid_and_keeps_first_passes(school):
    workdir, seats, ports, servers = school
    first = sweep(workdir)
    assert first.returncode == 1, first.stderr  # some cells fail
    cells = grid(workdir)
    assert len(cells) == zoo_class.SIZE * len(GRADED)
    wrong = [
        f"{seat.student} {seat.exercise} ({seat.program.name if seat.program else 'absent'}): expected "
        f"{seat.expected}, got {(row['status'], row['hint'])}: {row['detail']}"
        for seat in seats
        if (row := cells[(seat.student, seat.exercise)]) and (row["status"], row["hint"]) != seat.expected
    ]
    assert not wrong, "\n".join(wrong)
    statuses = {row["status"] for row in cells.values()}
    assert statuses == {"pass", "fail", "unreachable", "not run"}
    for (student, exercise), row in cells.items():
        assert bool(row["first_passed"]) == (row["status"] == "pass"), (student, exercise)
        assert row["target"] == f"127.0.10.{int(student[-2:])}:{ports[exercise]}" or row["status"] == "not run"
    report = (workdir / "grades.html").read_text()
    assert report.count('<td class="cell ') == len(cells)

    # One student fixes a broken echo server; the teacher sweeps echo again.
    fixed = next(s for s in seats if s.exercise == "echo" and s.expected[0] == "fail")
    correct = next(p for p in sorted((ZOO / "echo").glob("*.py")) if expectation(p) == "pass")
    servers.stop((fixed.student, "echo"))
    servers.start(fixed, ports["echo"], correct)
    servers.wait_listening({(fixed.host, ports["echo"])})
    second = sweep(workdir, "--exercise", "echo")
    assert "sweep 2 in grades.sqlite3" in second.stdout, second.stderr
    again = grid(workdir)
    assert len(again) == zoo_class.SIZE and again[(fixed.student, "echo")]["status"] == "pass"
    with sqlite3.connect(workdir / "grades.sqlite3") as db:
        sweeps = dict(db.execute("SELECT id, started FROM sweeps"))
        assert list(sweeps) == [1, 2]
        assert db.execute("SELECT COUNT(*) FROM cells GROUP BY sweep ORDER BY sweep").fetchall() == [
            (len(cells),),
            (30,),
        ]
    assert again[(fixed.student, "echo")]["first_passed"] == sweeps[2]
    for key, row in cells.items():  # every earlier first pass kept, not moved to the second sweep
        if row["status"] == "pass" and key in again:
            assert again[key]["first_passed"] == row["first_passed"] == sweeps[1], key
    report = (workdir / "grades.html").read_text()
    assert f"first passed {sweeps[2][:16].replace('T', ' ')}" in report
