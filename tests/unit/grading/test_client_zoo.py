"""The client grader is right: every client of the client zoo (tests/unit/grading/client_zoo/<exercise>/<name>.py,
a student's client run as a real process against the recording server) gets the verdict its docstring's
`expect:` line names: correct clients written differently pass every check 10 times in a row; each broken one
(the course's 2012 clients ported as they were, and the usual mistakes) fails first with its own hint."""

import sys
from pathlib import Path

import pytest
from stacklab_grading import engine, report
from stacklab_grading.clients import CLIENTS
from stacklab_grading.clients.session import ClientContext

from tests.unit.grading.helpers import PREFIX, expectation, ident

ZOO = Path(__file__).parent / "client_zoo"
# Seconds per step: broken clients fail after a few of them; correct ones act in milliseconds and wait for none,
# so theirs is long, for a loaded machine.
WAIT, CORRECT_WAIT = 1.5, 3.0
RUNS = 10


PROGRAMS = sorted(ZOO.glob("*/*.py"))
CORRECT = [p for p in PROGRAMS if expectation(p) == "pass"]
BROKEN = [p for p in PROGRAMS if expectation(p) != "pass"]


def grade(program: Path, wait: float = WAIT) -> tuple[engine.Exercise, list[engine.Result]]:
    exercise = CLIENTS[program.parent.name]
    context = ClientContext("127.0.0.1", 0, PREFIX, wait, command=(sys.executable, str(program)))
    return exercise, engine.run(exercise, context)


def test_the_zoo_has_two_correct_and_six_broken_clients_each_with_its_own_hint():
    assert sorted({p.parent.name for p in PROGRAMS}) == sorted(CLIENTS)
    for name in CLIENTS:
        assert len([p for p in CORRECT if p.parent.name == name]) >= 2, name
        hints = [expectation(p) for p in BROKEN if p.parent.name == name]
        assert len(hints) >= 6, name
        assert len(hints) == len(set(hints)), f"{name}: two broken clients expect the same hint: {sorted(hints)}"


@pytest.mark.parametrize("program", CORRECT, ids=ident)
def test_a_correct_client_passes_every_check_ten_times(program):
    for run in range(1, RUNS + 1):
        exercise, results = grade(program, CORRECT_WAIT)
        assert all(r.status == "pass" for r in results), f"run {run}:\n" + report.terminal(exercise, results, "zoo")


@pytest.mark.parametrize("program", BROKEN, ids=ident)
def test_a_broken_client_fails_first_with_its_hint(program):
    exercise, results = grade(program)
    failed = [r for r in results if r.status == "fail"]
    shown = report.terminal(exercise, results, "zoo")
    assert failed, shown
    assert failed[0].failure.hint == expectation(program), shown
