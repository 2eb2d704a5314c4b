"""A class of 30 students on loopback addresses, for the roster tests and bench/grading_sweep.py: student N's
servers listen on 127.0.10.N (no other test uses 127.0.10.0/24), one port per exercise shared by the class.
Their servers are the zoo's programs (zoo/<exercise>/<name>.py), a mix of correct and broken, each expected to
get the verdict its docstring's `expect:` line names; some are absent (nothing listens: unreachable), the last
student has no server at all, and one is not graded on one exercise ('-' in the roster).

The zoo's programs bind 127.0.0.1; each student runs a copy bound to their own address instead."""

import csv
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from stacklab_grading.exercises.ws30 import write_docroot

from tests.unit.grading.helpers import ZOO, expectation

SIZE = 30
NOT_GRADED = (27, "chat")  # (student index, exercise): '-' in the roster
# Left out of the class: a Django process per student (25 of them) is too heavy for 2 cores; test_zoo.py grades
# each of these zoo programs instead.
NOT_SWEPT = ("django_booksite", "django_bookshop")


def address(index: int) -> str:
    return f"127.0.10.{index + 1}"


@dataclass(frozen=True)
class Seat:
    """One student's server for one exercise: a zoo program, or None (absent, or not graded)."""

    student: str
    host: str
    exercise: str
    program: Path | None
    graded: bool = True

    @property
    def expected(self) -> tuple[str, str]:
        """(status, hint): ("pass", ""), ("fail", hint id), ("unreachable", "not-listening"), ("not run", "")."""
        if not self.graded:
            return "not run", ""
        if self.program is None:
            return "unreachable", "not-listening"
        hint = expectation(self.program)
        return ("pass", "") if hint == "pass" else ("fail", hint)


def seats(exercises: list[str]) -> list[Seat]:
    """Every (student, exercise) of the class; every zoo program of each exercise is some student's server."""
    out = []
    for e, exercise in enumerate(exercises):
        programs = sorted((ZOO / exercise).glob("*.py"))
        given = 0
        for i in range(SIZE):
            name, host = f"student{i + 1:02d}", address(i)
            graded = (i, exercise) != NOT_GRADED
            if i == SIZE - 1 or (i + e) % 6 == 5 or not graded:  # absent: about one in six, and the last student
                out.append(Seat(name, host, exercise, None, graded))
                continue
            out.append(Seat(name, host, exercise, programs[given % len(programs)]))
            given += 1
    return out


def write_roster(path: Path, class_seats: list[Seat], ports: dict[str, int]) -> None:
    exercises = list(ports)
    students = list(dict.fromkeys((s.student, s.host) for s in class_seats))
    graded = {(s.student, s.exercise): s.graded for s in class_seats}
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["student", "host", "prefix", *exercises])
        for name, host in students:
            cells = [str(ports[e]) if graded[(name, e)] else "-" for e in exercises]
            writer.writerow([name, host, f"{name}-gh", *cells])


class Servers:
    """The class's running servers; start() one seat, stop() them all."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.procs: dict[tuple[str, str], subprocess.Popen] = {}

    def start(self, seat: Seat, port: int, program: Path | None = None) -> None:
        program = program or seat.program
        source = program.read_text()
        assert source.count('"127.0.0.1"') == 1, f"{program}: binds no literal 127.0.0.1 to replace"
        copy = self.workdir / f"{seat.host}-{seat.exercise}-{program.stem}.py"
        copy.write_text(source.replace('"127.0.0.1"', f'"{seat.host}"'))
        # A ws30 serves the directory it runs in, as the course's did: the exercise's fixture, not the copies here.
        docroot = write_docroot(self.workdir / "ws30-docroot") if seat.exercise == "ws30" else None
        self.procs[(seat.student, seat.exercise)] = subprocess.Popen(
            [sys.executable, str(copy), str(port), f"{seat.student}-gh"],
            cwd=docroot,
            stdin=subprocess.PIPE,  # open and empty, as a terminal nobody types in (the select servers read it)
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self, key: tuple[str, str] | None = None) -> None:
        for k in [key] if key else list(self.procs):
            proc = self.procs.pop(k)
            proc.kill()
            proc.wait()
            proc.stdin.close()

    def wait_listening(self, expected: set[tuple[str, int]], timeout: float = 30.0) -> None:
        """Until every (address, port) listens, read from /proc/net/tcp (no probe connection: see helpers)."""
        wanted = {f"{''.join(f'{int(b):02X}' for b in reversed(a.split('.')))}:{p:04X}" for a, p in expected}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
            listening = {row.split()[1] for row in rows if row.split()[3] == "0A"}
            if wanted <= listening:
                return
            time.sleep(0.05)
        raise TimeoutError(f"{len(wanted - listening)} of the class's servers do not listen after {timeout} s")


def run_class(workdir: Path, class_seats: list[Seat], ports: dict[str, int]) -> Servers:
    servers = Servers(workdir)
    for seat in class_seats:
        if seat.program is not None:
            servers.start(seat, ports[seat.exercise])
    servers.wait_listening({(s.host, ports[s.exercise]) for s in class_seats if s.program is not None})
    return servers
