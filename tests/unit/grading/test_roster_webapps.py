"""The web app exercises in a class sweep: graded only for the students whose roster row gives their port (their
apps ran wherever each student's VM put them), so a roster without those columns sweeps as before."""

import csv

from stacklab_grading import roster, sweep
from stacklab_grading.exercises import EXERCISES

from tests.unit.grading.helpers import ZOO


def write(path, rows):
    with path.open("w", newline="") as file:
        csv.writer(file).writerows(rows)
    return path


def test_a_web_app_is_graded_where_the_roster_gives_its_port(tmp_path, run_program):
    port = run_program(ZOO / "flask_books" / "wsgiref_isbn.py")
    path = write(
        tmp_path / "class.csv",
        [["student", "host", "flask_books"], ["alice", "127.0.0.1", str(port)], ["bob", "127.0.0.1", ""]],
    )
    alice, bob = students = roster.read(path, set(EXERCISES))
    picked = [e.name for e in sweep.picked(students, EXERCISES.values())]
    assert "flask_books" in picked
    assert not {"cgi_echo", "wsgi_echo", "wsgi_history", "flask_echo"} & set(picked)
    assert sweep.grade(alice, EXERCISES["flask_books"], 2.0).status == sweep.PASS
    skipped = sweep.grade(bob, EXERCISES["flask_books"], 2.0)
    assert (skipped.status, skipped.detail) == (sweep.NOT_RUN, "not graded: the roster gives no port for it")


def test_a_roster_without_web_app_ports_sweeps_the_others_only(tmp_path):
    path = write(tmp_path / "class.csv", [["student", "host", "echo"], ["alice", "127.0.0.1", "50000"]])
    picked = {e.name for e in sweep.picked(roster.read(path, set(EXERCISES)), EXERCISES.values())}
    assert picked == {name for name, e in EXERCISES.items() if not e.by_roster_port}
    assert {"echo", "chat", "ws30"} <= picked
