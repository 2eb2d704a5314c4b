"""Exercises as chains of checks, run against a server with a bounded time per check.

An Exercise is a course task (week, port, one-line task) and its checks in order. Each check names the checks it
needs; when one of those did not pass, the check is "not run" with that reason instead of failing for the same
cause again. A check is a function of a Context (where the server is, the expected prefix, the wait per receive,
and a Transcript its clients write to); it returns a short detail on success or raises Failure, which carries what
was sent and received, what was expected, and one hint (hints.HINTS) aimed at the usual mistake behind it.

Every check ends by itself: its receives wait at most `wait` seconds each, and the check as a whole gets
`budget` waits; past that its sockets are closed under it and it fails as timed out.

Extension points: a new exercise module registers Exercise objects in EXERCISES (exercises/__init__.py imports
them); a client exercise can run the same engine with a Context whose "server" is a recording one.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .hints import HINTS
from .wire import Peer, Transcript, Unreachable

DEFAULT_PREFIX = "uw-student"  # what the course's samples hard-code; --prefix puts the student's GitHub name
DEFAULT_USER, DEFAULT_PASSWORD = "jon", "jacky"  # the course's bookshop account (course.md 3.4); --user, --password


class Failure(Exception):
    """A check saw the server misbehave: `rationale` says what, `hint` (an id of hints.HINTS) why it usually does.

    `expected` and `got` are the bytes compared, when there was a comparison; `got` None means nothing came
    (`waited` then says what for, e.g. "timed out after 2 s waiting for the reply"). `facts` fill in the hint."""

    def __init__(
        self,
        rationale: str,
        hint: str,
        *,
        expected: bytes | None = None,
        got: bytes | None = None,
        waited: str = "",
        **facts: object,
    ):
        super().__init__(rationale)
        if hint not in HINTS:
            raise ValueError(f"unknown hint {hint!r}")
        self.rationale = rationale
        self.hint = hint
        self.expected = expected
        self.got = got
        self.waited = waited
        self.facts = facts

    @property
    def help(self) -> str:
        return HINTS[self.hint].format(**self.facts)

    @property
    def first_difference(self) -> int | None:
        """The offset of the first byte where `got` differs from `expected` (or where the shorter one ends)."""
        if self.expected is None or self.got is None or self.got == self.expected:
            return None
        pairs = enumerate(zip(self.expected, self.got, strict=False))
        return next((i for i, (a, b) in pairs if a != b), min(len(self.expected), len(self.got)))


@dataclass
class Context:
    """Where the server under test is and what it should say; `connect` makes its clients."""

    host: str
    port: int
    prefix: str = DEFAULT_PREFIX
    wait: float = 3.0  # seconds one receive waits
    transcript: Transcript = field(default_factory=Transcript)
    peers: list[Peer] = field(default_factory=list)
    user: str = DEFAULT_USER  # an account of the site, for the exercises behind a login
    password: str = DEFAULT_PASSWORD
    shared: dict = field(default_factory=dict)  # what one run's checks share (a logged-in session), kept by fresh()

    def connect(self, name: str = "A", window: int = 0) -> Peer:
        try:
            peer = Peer.connect(name, self.host, self.port, self.transcript, self.wait, window)
        except Unreachable as exc:
            raise Failure(f"client {name} could not connect: {exc}", "not-listening", port=self.port) from None
        self.peers.append(peer)
        return peer

    def close_all(self) -> None:
        for peer in self.peers:
            peer.close(quietly=True)

    def fresh(self) -> "Context":
        return Context(
            self.host, self.port, self.prefix, self.wait, user=self.user, password=self.password, shared=self.shared
        )


CheckFunction = Callable[[Context], str]


@dataclass(frozen=True)
class Check:
    name: str  # a slug, unique in its exercise
    description: str  # one line: what passing means
    run: CheckFunction
    needs: tuple[str, ...] = ()  # checks that must pass first
    budget: float = 6.0  # the check's time bound, in waits (Context.wait), plus a second


@dataclass(frozen=True)
class Result:
    check: Check
    status: str  # "pass", "fail" or "not run"
    detail: str  # the pass's detail, the failure's rationale or why it did not run
    seconds: float
    failure: Failure | None = None
    transcript: tuple[str, ...] = ()

    @property
    def passed(self) -> bool | None:
        """check50's `passed`: True, False, or None for not run."""
        return {"pass": True, "fail": False}.get(self.status)


@dataclass
class Exercise:
    name: str
    week: str
    port: int  # the course's default port
    task: str  # one line: what the student builds
    checks: list[Check] = field(default_factory=list)
    by_roster_port: bool = False  # a roster grades it only where a student's row gives its port (the web apps)

    def check(self, description: str, needs: tuple[str, ...] = (), budget: float = 6.0):
        """Decorator: add the function as the next check; its name is the function's, dashes for underscores."""

        def add(function: CheckFunction) -> CheckFunction:
            self.add(function.__name__.strip("_").replace("_", "-"), description, function, needs, budget)
            return function

        return add

    def add(self, name: str, description: str, run: CheckFunction, needs=(), budget: float = 6.0) -> None:
        known = {check.name for check in self.checks}
        if name in known or not set(needs) <= known:
            raise ValueError(f"{self.name}: check {name!r} is a duplicate or needs an unknown or later check")
        self.checks.append(Check(name, description, run, tuple(needs), budget))

    @property
    def title(self) -> str:
        return f"{self.name} (week {self.week}, port {self.port}): {self.task}"


def run(exercise: Exercise, context: Context) -> list[Result]:
    """Every check of the exercise in order; a check whose needs did not all pass is not run."""
    results: dict[str, Result] = {}
    for check in exercise.checks:
        missing = [need for need in check.needs if results[need].status != "pass"]
        if missing:
            states = " and ".join(
                f"{need!r}, which {'failed' if results[need].status == 'fail' else 'was not run'}" for need in missing
            )
            results[check.name] = Result(check, "not run", f"needs {states}", 0.0)
            continue
        results[check.name] = run_one(check, context.fresh())
    return list(results.values())


def run_one(check: Check, context: Context) -> Result:
    """One check in a thread of its own, stopped (its sockets closed) past its time bound."""
    outcome: list[object] = []
    bound = check.budget * context.wait + 1.0

    def target() -> None:
        try:
            outcome.append(check.run(context))
        except BaseException as exc:  # any error is the check's outcome, reported below
            outcome.append(exc)

    start = time.monotonic()
    worker = threading.Thread(target=target, name=f"check {check.name}", daemon=True)
    worker.start()
    worker.join(bound)
    if worker.is_alive():  # closing its sockets wakes any receive it is blocked in
        context.close_all()
        worker.join(context.wait + 1.0)
        outcome[:] = [Failure(f"the check did not finish within {bound:g} s", "too-slow", seconds=bound)]
    context.close_all()
    seconds = round(time.monotonic() - start, 3)
    transcript = tuple(context.transcript.render())
    result = outcome[0]
    if isinstance(result, Failure):
        return Result(check, "fail", result.rationale, seconds, result, transcript)
    if isinstance(result, BaseException):  # a bug in the checker: shown as such, never as the student's fault
        failure = Failure(f"checker error: {type(result).__name__}: {result}", "checker-error")
        return Result(check, "fail", failure.rationale, seconds, failure, transcript)
    return Result(check, "pass", str(result), seconds, None, transcript)
