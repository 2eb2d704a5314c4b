"""A class roster: one CSV row per student, as a teacher keeps it in a spreadsheet.

    student,host,prefix,echo,chat
    Alice Martin,alice-vm.example.org,alice,,
    Bob Chen,10.0.0.12,bobchen,51000,-

`student` (a name for the report) and `host` are required; `prefix` is the student's GitHub name (default: the
student column). Any other column is named after an exercise and holds that student's port for it: empty for the
course's port, a number for another, `-` for an exercise the student is not graded on (its cell is "not run").
An exercise with no column uses the course's port, except the web apps (cgi_echo, wsgi_*, flask_*): those are
graded only where a student's row gives their port. Columns are matched case-insensitively; blank lines and lines
starting with `#` are skipped.
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

REQUIRED = ("student", "host")
SKIP = "-"


class RosterError(ValueError):
    """The roster cannot be read; the message names the line."""


@dataclass(frozen=True)
class Student:
    name: str
    host: str
    prefix: str
    ports: dict[str, int | None] = field(default_factory=dict)  # exercise -> port; None: not graded

    def port(self, exercise: str, default: int) -> int | None:
        return self.ports.get(exercise, default)


def read(path: Path, exercises: set[str]) -> list[Student]:
    with path.open(newline="", encoding="utf-8-sig") as file:  # utf-8-sig: a spreadsheet's byte-order mark
        kept = [(number, line) for number, line in enumerate(file, 1) if line.strip() and not line.startswith("#")]
    rows = list(csv.reader(line for _, line in kept))
    if not rows:
        raise RosterError(f"{path}: empty roster")
    header = [column.strip().lower() for column in rows[0]]
    missing = [column for column in REQUIRED if column not in header]
    unknown = [column for column in header if column not in {*REQUIRED, "prefix", *exercises}]
    if missing or unknown:
        raise RosterError(
            f"{path}: columns must be student, host, prefix and exercises ({', '.join(sorted(exercises))}); "
            + "; ".join(
                filter(None, [f"missing {missing}" if missing else "", f"unknown {unknown}" if unknown else ""])
            )
        )
    students: list[Student] = []
    for (number, _), row in zip(kept[1:], rows[1:], strict=True):
        cells = dict(zip(header, (cell.strip() for cell in row), strict=False))
        if not cells.get("student") or not cells.get("host"):
            raise RosterError(f"{path}, line {number}: student and host are required")
        ports: dict[str, int | None] = {}
        for exercise in exercises & cells.keys():
            text = cells[exercise]
            if text == SKIP:
                ports[exercise] = None
            elif text:
                if not text.isdigit() or not 0 < int(text) < 65536:
                    raise RosterError(f"{path}, line {number}: {exercise} port {text!r} is not a port or '-'")
                ports[exercise] = int(text)
        students.append(Student(cells["student"], cells["host"], cells.get("prefix") or cells["student"], ports))
    names = [student.name for student in students]
    if len(names) != len(set(names)):
        raise RosterError(f"{path}: a student is listed twice ({sorted({n for n in names if names.count(n) > 1})})")
    return students
