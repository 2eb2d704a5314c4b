"""Every sweep kept in SQLite (the standard library's sqlite3): when it ran, and each cell's status, so that the
report can say when each student first passed each exercise. Cells are keyed by the student's name and the
exercise's name: renaming a student in the roster starts their history anew."""

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from .sweep import PASS, Cell

SCHEMA = """
CREATE TABLE IF NOT EXISTS sweeps (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,  -- ISO 8601, UTC
    roster TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cells (
    sweep INTEGER NOT NULL REFERENCES sweeps(id),
    student TEXT NOT NULL,
    exercise TEXT NOT NULL,
    status TEXT NOT NULL,
    passed INTEGER NOT NULL,  -- checks passed
    checks INTEGER NOT NULL,
    hint TEXT,  -- the first failure's hint id
    detail TEXT NOT NULL,
    PRIMARY KEY (sweep, student, exercise)
);
"""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class History:
    def __init__(self, path: Path):
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def record(self, started: str, roster: str, cells: list[Cell]) -> int:
        """Store one sweep; return its id."""
        with self.db:
            sweep = self.db.execute("INSERT INTO sweeps (started, roster) VALUES (?, ?)", (started, roster)).lastrowid
            self.db.executemany(
                "INSERT INTO cells VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        sweep,
                        cell.student.name,
                        cell.exercise.name,
                        cell.status,
                        cell.passed,
                        len(cell.results),
                        cell.first_failure.failure.hint if cell.first_failure else None,
                        cell.detail,
                    )
                    for cell in cells
                ],
            )
        return sweep

    def first_passed(self) -> dict[tuple[str, str], str]:
        """(student, exercise) -> the start time of the first sweep in which that cell passed."""
        rows = self.db.execute(
            "SELECT student, exercise, MIN(started) FROM cells JOIN sweeps ON sweeps.id = cells.sweep"
            " WHERE status = ? GROUP BY student, exercise",
            (PASS,),
        )
        return {(student, exercise): started for student, exercise, started in rows}

    def sweeps(self) -> list[tuple[int, str, str]]:
        """(id, started, roster) of every sweep, oldest first."""
        return list(self.db.execute("SELECT id, started, roster FROM sweeps ORDER BY id"))
