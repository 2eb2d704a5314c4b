"""What the client exercises share: waiting for the client's first connection, and the checks on it."""

from ..engine import Failure
from .session import ClientContext, Session, until

BUDGET = 10.0  # a check's bound, in waits: the first check of a scenario runs it, a wait for each step


def echo_of(ctx: ClientContext, data: bytes) -> bytes:
    return ctx.prefix.encode() + b": " + data


def first_connection(ctx: ClientContext, session: Session) -> bool:
    """Whether the client connected within one wait (False at once if it exits first)."""
    recorder, student = session.recorder, session.student
    return until(lambda: bool(recorder.conns) or student.proc.poll() is not None, ctx.wait) and bool(recorder.conns)


def connected(session: Session) -> str:
    """The `connects` check on a session: the client made a connection to the address it was given."""
    if not session.recorder.conns:
        student = session.student
        why = (
            "did not connect" if student.killed else f"exited with status {student.proc.returncode} without connecting"
        )
        raise Failure(f"the client {why}", "client-no-connect")
    return f"connected to 127.0.0.1:{session.recorder.port}"


def quit_cleanly(closed: bool, status: int | None, hint: str) -> None:
    """The client closed its connection and exited with status 0 (at an empty line, a close or the end of input)."""
    if status is None or not closed:
        raise Failure("the client kept running" if status is None else "the client kept its connection open", hint)
    if status != 0:
        raise Failure(f"the client exited with status {status}", "client-crashed", status=status)
