"""The stage guard: a pytest plugin that fails a run which passed by not running (pyproject.toml loads it with -p).

A stage (scripts/test-*, ./run unit and first-contact) states what each of its pytest runs must show:

    --stage NAME                 turns the guard on and names the run in its verdict
    --min-passed [PREFIX=]N      at least N tests passed (those whose node id starts with PREFIX, e.g. a module)
    --allow-skip REGEX           a skip whose reason matches (re.search) is by design; any other skip fails the run

A skip is an environment switch in many of these tests (no Docker, no VM host, no TLS domain): started in the
wrong environment a stage would otherwise be green with nothing run. xfails are not skips here. When the run is
narrowed on purpose (a stage's PYTEST_ARGS, e.g. -k), the stage sets STACKLAB_GUARD_COUNTS=off: the counts cannot
hold then, and only the skips are checked.
"""

import os
import re
from collections import Counter

import pytest

COUNTS_OFF = "STACKLAB_GUARD_COUNTS"


def pytest_addoption(parser):
    group = parser.getgroup("stage guard", "what a stage must run (stacklab_testing.guard)")
    group.addoption("--stage", default="", help="turn the guard on for this run, named NAME in its verdict")
    group.addoption(
        "--min-passed",
        action="append",
        default=[],
        metavar="[PREFIX=]N",
        help="at least N tests passed (of those whose node id starts with PREFIX); repeatable",
    )
    group.addoption(
        "--allow-skip",
        action="append",
        default=[],
        metavar="REGEX",
        help="a skip whose reason matches REGEX is by design; any other skip fails the run; repeatable",
    )


def pytest_configure(config):
    if not config.getoption("--stage") or config.option.collectonly:
        return
    if not hasattr(config, "workerinput"):  # xdist: the controller, which gets every worker's reports, judges
        config.pluginmanager.register(Guard(config), "stacklab-stage-guard")


def parse_minimum(text: str) -> tuple[str, int]:
    prefix, _, count = text.rpartition("=")
    if not count.isdigit():
        raise pytest.UsageError(f"--min-passed {text!r}: want N or PREFIX=N")
    return prefix, int(count)


def skip_reason(report) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ")


class Guard:
    def __init__(self, config):
        self.stage = config.getoption("--stage")
        self.allowed = [re.compile(pattern) for pattern in config.getoption("--allow-skip")]
        self.minimums = [parse_minimum(text) for text in config.getoption("--min-passed")]
        self.counts_checked = os.environ.get(COUNTS_OFF, "") != "off"
        self.problems: list[str] = []
        self.notes: list[str] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session):
        stats = session.config.pluginmanager.getplugin("terminalreporter").stats
        passed = [r.nodeid for r in stats.get("passed", []) if r.when == "call"]
        skipped = [r for r in stats.get("skipped", []) if not hasattr(r, "wasxfail")]
        by_design: Counter[str] = Counter()
        unexpected = []
        for report in skipped:
            reason = skip_reason(report)
            pattern = next((p for p in self.allowed if p.search(reason)), None)
            if pattern:
                by_design[pattern.pattern] += 1
            else:
                unexpected.append(f"{report.nodeid}: {reason}")
        if unexpected:
            self.problems.append(f"{len(unexpected)} skipped with no allowed reason (--allow-skip):")
            self.problems += [f"    {line}" for line in unexpected]
        for prefix, minimum in self.minimums if self.counts_checked else []:
            count = sum(1 for nodeid in passed if nodeid.startswith(prefix))
            if count < minimum:
                self.problems.append(f"{prefix or 'all tests'}: {count} passed, the stage needs at least {minimum}")
        design = ", ".join(f"{by_design[p.pattern]} {p.pattern!r}" for p in self.allowed) or "none allowed"
        self.notes.append(f"{len(passed)} passed; skipped by design: {design}")
        if self.minimums and not self.counts_checked:
            self.notes.append(f"counts not checked ({COUNTS_OFF}=off: the run was narrowed)")
        if self.problems and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter):
        verdict = "FAILED" if self.problems else "passed"
        terminalreporter.section(f"stage guard: {self.stage} {verdict}", sep="-", red=bool(self.problems))
        for line in [*self.problems, *self.notes]:
            terminalreporter.line(line)
