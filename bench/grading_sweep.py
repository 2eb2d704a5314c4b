"""The time of a class sweep: 30 students on 127.0.10.1-30 (tests/unit/grading/zoo_class.py: the zoo's correct,
broken and absent servers), every exercise of the grader's registry, as `stacklab-check --roster` runs it.

    uv run python -m bench.grading_sweep [--wait 3] [--jobs 16]

Prints the sweep's wall time next to its target (issue 21: at most 2 minutes on 2 cores), and the grid's counts;
asserts nothing. An exercise with no zoo directory has no students' servers: its cells are unreachable, and the
line says so.
"""

import argparse
import tempfile
import time
from pathlib import Path

from stacklab_grading import roster, sweep
from stacklab_grading.exercises import EXERCISES

from tests.unit.grading import zoo_class
from tests.unit.servers import ensure_fd_limit, free_ports

TARGET = 120.0  # seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wait", type=float, default=3.0, help="seconds per reply (the CLI's default)")
    p.add_argument("--jobs", type=int, default=16, help="cells graded at once (the CLI's default)")
    args = p.parse_args()
    ensure_fd_limit(4096)
    names = [name for name, exercise in EXERCISES.items() if not exercise.by_roster_port]  # the default sweep
    without_zoo = [name for name in names if not (zoo_class.ZOO / name).is_dir()]
    seats = zoo_class.seats([name for name in names if name not in without_zoo])
    ports = free_ports(names)
    with tempfile.TemporaryDirectory() as workdir:
        start = time.monotonic()
        servers = zoo_class.run_class(Path(workdir), seats, ports)
        started = time.monotonic() - start
        try:
            zoo_class.write_roster(
                Path(workdir) / "class.csv", seats, {n: ports[n] for n in names if n not in without_zoo}
            )
            students = roster.read(Path(workdir) / "class.csv", set(EXERCISES))
            start = time.monotonic()
            cells = sweep.sweep(students, sweep.picked(students, EXERCISES.values()), args.wait, args.jobs)
            seconds = time.monotonic() - start
        finally:
            servers.stop()
    checks = sum(len(cell.results) for cell in cells)
    counts = {s: sum(c.status == s for c in cells) for s in (sweep.PASS, sweep.FAIL, sweep.UNREACHABLE, sweep.NOT_RUN)}
    slowest = max(cells, key=lambda cell: cell.seconds)
    print(
        f"class: {len(students)} students x {len(names)} exercises ({', '.join(names)}); servers up in {started:.1f} s"
    )
    if without_zoo:
        print(f"no zoo (every cell unreachable): {', '.join(without_zoo)}")
    print("cells: " + ", ".join(f"{n} {status}" for status, n in counts.items()) + f"; {checks:,} checks")
    print(f"slowest cell: {slowest.student.name} {slowest.exercise.name} {slowest.seconds:.1f} s ({slowest.status})")
    verdict = "within" if seconds <= TARGET else "OVER"
    print(f"sweep: {seconds:.1f} s (target <= {TARGET:.0f} s: {verdict}; --wait {args.wait:g}, --jobs {args.jobs})")


if __name__ == "__main__":
    main()
