"""A class at once: every exercise of the registry against every student's server, concurrently.

Each (student, exercise) is one task of a bounded thread pool; its checks are the engine's, each ending by itself
within its time bound. The first connection an exercise makes is the probe: when it cannot be made (refused, or
no answer within one wait), the cell is "unreachable" and every later connection of that exercise fails at once,
so a dead host costs one connect timeout per exercise port, not one per check. A separate probe connection would
be a client that sends nothing, which some students' servers cannot survive (or spend their one client on).
"""

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from . import engine
from .engine import Context, Exercise, Failure, Result
from .roster import Student

PASS, FAIL, NOT_RUN, UNREACHABLE = "pass", "fail", "not run", "unreachable"


@dataclass(frozen=True)
class Cell:
    """One student's result on one exercise."""

    student: Student
    exercise: Exercise
    status: str  # PASS, FAIL, NOT_RUN or UNREACHABLE
    target: str
    detail: str  # why not run, why unreachable, or the first failure's rationale
    results: tuple[Result, ...] = ()
    seconds: float = 0.0

    @property
    def passed(self) -> int:
        return sum(r.status == "pass" for r in self.results)

    @property
    def first_failure(self) -> Result | None:
        return next((r for r in self.results if r.status == "fail"), None)


@dataclass
class Probe:
    """Shared by every check of one exercise: whether its first connection failed, and how."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    reached: bool = False
    failure: Failure | None = None


class ProbedContext(Context):
    """A Context whose first connection doubles as the reachability probe (see the module's docstring)."""

    def __init__(self, host: str, port: int, prefix: str, wait: float, probe: Probe):
        super().__init__(host, port, prefix, wait)
        self.probe = probe

    def connect(self, name: str = "A", window: int = 0):
        if self.probe.failure is not None:
            self.transcript.add(name, "--", f"not tried: {self.probe.failure.rationale}")
            raise self.probe.failure
        try:
            peer = super().connect(name, window)
        except Failure as failure:
            with self.probe.lock:
                if not self.probe.reached:
                    self.probe.failure = failure
            raise
        with self.probe.lock:
            self.probe.reached = True
        return peer

    def fresh(self) -> "ProbedContext":
        return ProbedContext(self.host, self.port, self.prefix, self.wait, self.probe)


def grade(student: Student, exercise: Exercise, wait: float) -> Cell:
    port = student.port(exercise.name, None if exercise.by_roster_port else exercise.port)
    target = f"{student.host}:{port}" if port else student.host
    if port is None:
        why = "'-' in the roster" if exercise.name in student.ports else "the roster gives no port for it"
        return Cell(student, exercise, NOT_RUN, target, f"not graded: {why}")
    start = time.monotonic()
    probe = Probe()
    results = tuple(engine.run(exercise, ProbedContext(student.host, port, student.prefix, wait, probe)))
    seconds = round(time.monotonic() - start, 3)
    if probe.failure is not None and not probe.reached:
        return Cell(student, exercise, UNREACHABLE, target, probe.failure.rationale, results, seconds)
    failed = next((r for r in results if r.status == "fail"), None)
    if failed is not None:
        return Cell(student, exercise, FAIL, target, f"{failed.check.name}: {failed.detail}", results, seconds)
    if all(r.status == "pass" for r in results):
        return Cell(student, exercise, PASS, target, f"{len(results)} checks passed", results, seconds)
    return Cell(student, exercise, NOT_RUN, target, "no check ran", results, seconds)


def picked(students: list[Student], exercises: Iterable[Exercise]) -> list[Exercise]:
    """The exercises a sweep grades by default: every one, but a by_roster_port one only when some student's row
    gives its port (the web apps ran wherever each student's VM put them: the course port says little)."""
    return [e for e in exercises if not e.by_roster_port or any(s.ports.get(e.name) for s in students)]


def sweep(
    students: list[Student],
    exercises: Iterable[Exercise],
    wait: float = 3.0,
    jobs: int = 16,
    progress: Callable[[Cell], None] | None = None,
) -> list[Cell]:
    """Every cell of the grid, in roster order then exercise order; `progress` sees each as it ends."""
    exercises = list(exercises)
    tasks = [(student, exercise) for student in students for exercise in exercises]
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="sweep") as pool:
        futures = [pool.submit(grade, student, exercise, wait) for student, exercise in tasks]
        if progress is not None:
            for future in futures:
                future.add_done_callback(lambda done: progress(done.result()))
        return [future.result() for future in futures]
