"""Week 2, the recho client (course.md 1.2): `python recho_client.py HOST PORT` connects ONCE per session, then
loops: prompt `> `, read a line, send it, print the reply `PREFIX: line`. An empty line closes and exits; so does
the end of input. The recording server answers as the course's recho did: each recv echoed with the prefix.
The 2012 client read each reply with one recv(1024): after a line over 1,024 bytes it printed part of the echo
and later prompts printed stale data (course.md 1.2, and 4 item 9)."""

from ..engine import Exercise, Failure
from .common import BUDGET, connected, echo_of, quit_cleanly
from .session import ClientContext, Conn, Recorder, Session, until

LINES = (b"one", b"two", b"three")
LONG = b"0123456789" * 150  # 1,500 bytes: its echo is more than one recv(1024)

recho_client = Exercise("recho", "2", 50002, "connect once, send each line typed, print each reply")


def recho_server(recorder: Recorder, conn: Conn) -> None:
    while data := conn.recv(65536):
        conn.send(echo_of(recorder, data))
    conn.close_server_side()


def converse(ctx: ClientContext, session: Session, lines) -> bool:
    """Type each line, wait until it reached the server and its reply was printed; False if one was not sent (the
    rest are not typed) or a reply not printed."""
    recorder, student = session.recorder, session.student
    for line in lines:
        before = len(recorder.received())
        student.type(line + b"\n")
        if not until(lambda line=line, before=before: line in recorder.received()[before:], ctx.wait):
            session.facts["unsent"] = line
            return False
        # Once a reply went unprinted, the next lines only show what is sent: no need to wait long for theirs.
        if not student.prints(echo_of(ctx, line), ctx.wait if "unprinted" not in session.facts else 0.1):
            session.facts.setdefault("unprinted", line)  # the next lines still show what the client sends
    return "unprinted" not in session.facts


def lines(ctx: ClientContext, session: Session) -> None:
    # The first line is typed at once: a client that connects per line connects only once it has one.
    if not converse(ctx, session, LINES) and session.facts.get("unsent") == LINES[0]:
        session.student.end_input()  # does it send everything at the end of input?
        session.facts["at_eof"] = until(lambda: LINES[0] in session.recorder.received(), ctx.wait)


def quits(ctx: ClientContext, session: Session, last) -> None:
    """Talk one line, then `last()` (an empty line, the end of input): the client should close and exit."""
    if converse(ctx, session, LINES[:1]):
        last()
        conn = session.recorder.conns[-1]
        session.facts["status"] = session.student.exits(ctx.wait)
        session.facts["closed"] = until(
            lambda: conn.client_closed, 0.1 if session.facts["status"] is None else ctx.wait
        )


def empty(ctx: ClientContext, session: Session) -> None:
    quits(ctx, session, lambda: session.student.type(b"\n"))


def eof(ctx: ClientContext, session: Session) -> None:
    quits(ctx, session, session.student.end_input)


def long(ctx: ClientContext, session: Session) -> None:
    session.facts["whole"] = converse(ctx, session, (LONG, b"after"))


@recho_client.check("connects to the HOST and PORT it is given", budget=BUDGET)
def connects(ctx: ClientContext) -> str:
    return connected(ctx.session(lines, recho_server))


@recho_client.check("sends each line typed, as it is typed", needs=("connects",), budget=BUDGET)
def sends_lines(ctx: ClientContext) -> str:
    session = ctx.session(lines, recho_server)
    if unsent := session.facts.get("unsent"):
        if session.facts.get("at_eof"):
            raise Failure(f"{unsent!r} was sent only at the end of input", "client-waits-for-all-input")
        raise Failure(f"the typed line {unsent!r} never reached the server", "client-sends-nothing", line=unsent)
    got = session.recorder.received()
    if got.replace(b"\r\n", b"").replace(b"\n", b"") != b"".join(LINES):
        raise Failure(f"the client sent {got!r}", "client-sends-other", sent=got, want=list(LINES))
    return f"sent {len(LINES)} lines as they were typed"


@recho_client.check("prints each reply before the next prompt", needs=("sends-lines",), budget=BUDGET)
def prints_replies(ctx: ClientContext) -> str:
    if unprinted := ctx.session(lines, recho_server).facts.get("unprinted"):
        reply = echo_of(ctx, unprinted)
        raise Failure(f"the reply to {unprinted!r} was not printed", "client-no-print", reply=reply, expected=reply)
    return f"printed the {len(LINES)} replies"


@recho_client.check("makes ONE connection per session, not one per line", needs=("prints-replies",), budget=BUDGET)
def one_connection(ctx: ClientContext) -> str:
    count = len(ctx.session(lines, recho_server).recorder.conns)
    if count != 1:
        raise Failure(f"{count} connections for {len(LINES)} lines", "client-reconnects", count=count, lines=len(LINES))
    return f"sent the {len(LINES)} lines on one connection"


@recho_client.check("an empty line closes the connection and exits", needs=("one-connection",), budget=BUDGET)
def empty_line_quits(ctx: ClientContext) -> str:
    facts = ctx.session(empty, recho_server).facts
    quit_cleanly(facts.get("closed", False), facts.get("status"), "client-empty-line")
    return "closed and exited at an empty line"


@recho_client.check(
    "prints the whole echo of a line over 1,024 bytes, and stays in step", needs=("one-connection",), budget=BUDGET
)
def long_line(ctx: ClientContext) -> str:
    if not ctx.session(long, recho_server).facts.get("whole"):
        size = len(echo_of(ctx, LONG))
        raise Failure(f"the echo of a {len(LONG):,}-byte line was not printed whole", "client-recv-once", size=size)
    return f"printed the {len(LONG):,}-byte line's echo whole, then the next reply"


@recho_client.check("ends cleanly at the end of input", needs=("one-connection",), budget=BUDGET)
def eof_quits(ctx: ClientContext) -> str:
    session = ctx.session(eof, recho_server)
    status = session.facts.get("status")
    if status is None:
        raise Failure("the client kept running after its input ended", "client-eof-hang")
    if status != 0 or b"Traceback" in session.student.err:
        raise Failure(f"the client crashed at the end of input (status {status})", "client-eof-crash", status=status)
    quit_cleanly(session.facts.get("closed", False), status, "client-eof-hang")
    return "closed and exited with status 0 at the end of input"
