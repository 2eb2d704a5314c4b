"""The engine: a chain stops at a failed prerequisite (not run, with the reason), every check ends within its
time bound, a checker bug is reported as such, and a failure's first differing byte is where the bytes differ."""

import socket
import time

from stacklab_grading import engine
from stacklab_grading.engine import Context, Exercise, Failure


def silent_server() -> socket.socket:
    """A listener whose connections complete (the kernel's queue) and are never read nor answered."""
    return socket.create_server(("127.0.0.1", 0))


def test_a_check_whose_prerequisite_failed_is_not_run_with_the_reason():
    exercise = Exercise("demo", "0", 1, "a demo")

    def fails(ctx: Context) -> str:
        raise Failure("it failed", "no-reply")

    exercise.add("first", "fails", fails)
    exercise.add("second", "needs first", lambda ctx: "ran", needs=["first"])
    exercise.add("third", "needs second", lambda ctx: "ran", needs=["second"])
    exercise.add("fourth", "needs nothing", lambda ctx: "ran")
    results = engine.run(exercise, Context("127.0.0.1", 1))
    assert [(r.check.name, r.status) for r in results] == [
        ("first", "fail"),
        ("second", "not run"),
        ("third", "not run"),
        ("fourth", "pass"),
    ]
    assert results[1].detail == "needs 'first', which failed"
    assert results[2].detail == "needs 'second', which was not run"
    assert results[1].passed is None


def test_a_check_that_would_wait_forever_ends_at_its_bound():
    with silent_server() as server:
        port = server.getsockname()[1]
        exercise = Exercise("demo", "0", port, "a demo")

        def waits_forever(ctx: Context) -> str:
            peer = ctx.connect()
            while True:
                peer.receive(1, "a byte that never comes")

        exercise.add("forever", "waits forever", waits_forever, budget=2)
        start = time.monotonic()
        [result] = engine.run(exercise, Context("127.0.0.1", port, wait=0.2))
        elapsed = time.monotonic() - start
    assert result.status == "fail" and result.failure.hint == "too-slow"
    assert result.detail == "the check did not finish within 1.4 s"
    assert elapsed < 1.4 + 0.2 + 1.5


def test_a_bug_in_a_check_is_reported_as_the_checkers():
    exercise = Exercise("demo", "0", 1, "a demo")
    exercise.add("buggy", "raises", lambda ctx: 1 / 0)
    [result] = engine.run(exercise, Context("127.0.0.1", 1))
    assert result.failure.hint == "checker-error"
    assert result.detail == "checker error: ZeroDivisionError: division by zero"


def test_the_first_difference_is_the_first_byte_that_differs():
    assert Failure("x", "mismatch", expected=b"abc", got=b"abd", offset=2).first_difference == 2
    assert Failure("x", "mismatch", expected=b"abc", got=b"ab", offset=2).first_difference == 2
    assert Failure("x", "mismatch", expected=b"abc", got=b"abc", offset=0).first_difference is None


def test_checks_must_name_earlier_checks_and_known_hints():
    exercise = Exercise("demo", "0", 1, "a demo")
    try:
        exercise.add("second", "needs a later check", lambda ctx: "", needs=["first"])
    except ValueError as exc:
        assert "needs an unknown or later check" in str(exc)
    else:
        raise AssertionError("a check needing an unknown one was accepted")
    try:
        Failure("x", "no-such-hint")
    except ValueError as exc:
        assert "unknown hint" in str(exc)
    else:
        raise AssertionError("an unknown hint was accepted")
