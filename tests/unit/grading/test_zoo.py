"""The grader is right: every program of the zoo (tests/unit/grading/zoo/<exercise>/<name>.py, each a student's
server run as a real process on a loopback port) gets the verdict its docstring's `expect:` line names.

`expect: pass` programs (the course's own code where it did what was asked, and correct servers written
differently: threads, selectors, asyncio, socketserver) pass every check 10 times in a row; each broken program's
first failing check carries its own hint."""

from pathlib import Path

import pytest
from stacklab_grading import engine, report
from stacklab_grading.exercises import EXERCISES

from tests.unit.grading.helpers import PREFIX, ZOO, assert_passes, expectation, ident

WAIT = 1.5  # seconds per reply: short, so that broken servers fail fast; correct ones answer in milliseconds
# A CGI server starts a Python process per request: on a loaded machine that alone can take most of a second.
WAITS = {"cgi_echo": 4.0}
RUNS = 10


PROGRAMS = sorted(ZOO.glob("*/*.py"))
CORRECT = [p for p in PROGRAMS if expectation(p) == "pass"]
BROKEN = [p for p in PROGRAMS if expectation(p) != "pass"]


def grade(program: Path, port: int) -> list[engine.Result]:
    exercise = EXERCISES[program.parent.name]
    return engine.run(exercise, engine.Context("127.0.0.1", port, PREFIX, WAITS.get(exercise.name, WAIT)))


def test_the_zoo_has_two_correct_and_six_broken_programs_per_exercise():
    for name in EXERCISES:
        assert len([p for p in CORRECT if p.parent.name == name]) >= 2, name
        assert len([p for p in BROKEN if p.parent.name == name]) >= 6, name


def test_each_broken_program_of_an_exercise_has_its_own_hint():
    for name in EXERCISES:
        hints = [expectation(p) for p in BROKEN if p.parent.name == name]
        assert len(hints) == len(set(hints)), f"{name}: two broken programs expect the same hint: {sorted(hints)}"


@pytest.mark.parametrize("program", CORRECT, ids=ident)
def test_a_correct_program_passes_every_check_ten_times(program, run_program):
    name = program.parent.name
    assert_passes(EXERCISES[name], run_program(program), PREFIX, RUNS, WAITS.get(name, WAIT))


@pytest.mark.parametrize("program", BROKEN, ids=ident)
def test_a_broken_program_fails_with_its_hint(program, run_program):
    results = grade(program, run_program(program))
    failed = [r for r in results if r.status == "fail"]
    shown = report.terminal(EXERCISES[program.parent.name], results, "zoo")
    assert failed, shown
    assert failed[0].failure.hint == expectation(program), shown
