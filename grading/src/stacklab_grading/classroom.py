"""`stacklab-check --roster class.csv`: sweep a class (roster.py), keep the sweep (history.py), write the HTML
report and the CSV (html_report.py).

    stacklab-check --roster CLASS.CSV [--exercise NAME ...] [--html FILE] [--csv FILE] [--db FILE]
                   [--wait SECONDS] [--jobs N] [--title TEXT]

Exit status: 0 when no cell failed or was unreachable, 1 otherwise, 2 for a usage error or an unreadable roster.
"""

import argparse
import resource
import sqlite3
import sys
from pathlib import Path

from . import html_report, roster, sweep
from .exercises import EXERCISES
from .history import History, now

FD_LIMIT = 65536  # open files wanted: plenty for --jobs cells of up to 50 clients each


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="stacklab-check --roster",
        description="Grade every student of a roster on every exercise, concurrently; write an HTML report and a "
        "CSV, and keep the sweep in SQLite.",
    )
    parser.add_argument("roster", type=Path, help="CSV: student, host, prefix, and a port column per exercise")
    parser.add_argument(
        "--exercise", action="append", choices=sorted(EXERCISES), help="only this exercise (repeatable; default all)"
    )
    parser.add_argument("--html", type=Path, default=Path("grades.html"), help="default grades.html")
    parser.add_argument("--csv", type=Path, default=Path("grades.csv"), help="default grades.csv")
    parser.add_argument(
        "--db", type=Path, default=Path("grades.sqlite3"), help="the sweep history (default ./grades.sqlite3)"
    )
    parser.add_argument("--wait", type=float, default=3.0, help="seconds any one reply may take (default 3)")
    parser.add_argument("--jobs", type=int, default=16, help="students' exercises graded at once (default 16)")
    parser.add_argument("--title", default="", help="the report's title (default: the roster's file name)")
    args = parser.parse_args(argv)
    if args.wait <= 0 or args.jobs < 1:
        parser.error("--wait must be positive and --jobs at least 1")
    try:
        students = roster.read(args.roster, set(EXERCISES))
    except (OSError, roster.RosterError) as exc:
        print(f"stacklab-check --roster: {exc}", file=sys.stderr)
        return 2
    exercises = (
        [EXERCISES[name] for name in args.exercise] if args.exercise else sweep.picked(students, EXERCISES.values())
    )
    try:
        history = History(args.db)  # before the sweep: a history that cannot be written must not cost a sweep
    except sqlite3.Error as exc:
        print(f"stacklab-check --roster: {args.db}: {exc}", file=sys.stderr)
        return 2
    raise_fd_limit()
    started = now()
    print(
        f"sweeping {count(students, 'student')} x {count(exercises, 'exercise')}, {args.jobs} at a time",
        file=sys.stderr,
    )
    cells = sweep.sweep(
        students, exercises, args.wait, args.jobs, progress=lambda cell: print(line(cell), file=sys.stderr)
    )
    try:
        number = history.record(started, str(args.roster), cells)
        first = history.first_passed()
    finally:
        history.close()
    title = args.title or f"stacklab: {args.roster.name}"
    args.html.write_text(html_report.html(cells, first, started, title), encoding="utf-8")
    args.csv.write_text(html_report.csv_text(cells, first), encoding="utf-8")
    counts = {status: sum(c.status == status for c in cells) for status in ("pass", "fail", "unreachable", "not run")}
    print(", ".join(f"{n} {status}" for status, n in counts.items()) + f" (sweep {number} in {args.db})")
    print(f"report: {args.html}  csv: {args.csv}")
    return 1 if counts["fail"] or counts["unreachable"] else 0


def raise_fd_limit() -> None:
    """Up to the hard limit: --jobs cells at once, some with 50 clients each, pass the usual soft limit of 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = FD_LIMIT if hard == resource.RLIM_INFINITY else min(hard, FD_LIMIT)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def line(cell: sweep.Cell) -> str:
    return f"{cell.status:<11} {cell.student.name} {cell.exercise.name} ({cell.target}): {cell.detail}"


def count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"
