"""Weeks 2-4, the chat client (course.md 1.4): `python chat_client.py HOST PORT` connects, then selects over the
socket and stdin: a typed line is sent (an empty one quits), whatever the socket brings is printed as it comes,
even while nobody types. The recording server relays as the course's chat server did: each chunk to every client,
the sender included, as `PREFIX ('ip', port): chunk`; it also speaks for another user, and finally closes. The
2012 client then printed empty lines without end (course.md 1.4 [bug]): here it must close and exit."""

import time

from ..engine import Exercise, Failure
from .common import BUDGET, connected, first_connection, quit_cleanly
from .session import ClientContext, Conn, Recorder, Session, until

IDLE = 0.1  # seconds the client sits with nobody typing before another user speaks
OTHER = "('127.0.0.1', 50999): hello from B"  # another user's line, after the prefix
SPUN = 1000  # bytes printed after the server closed that mean the client is spinning

chat_client = Exercise("chat", "4", 50004, "send typed lines, show everyone's messages as they come")


def relayed(prefix: str, conn: Conn, data: bytes) -> bytes:
    ip, port = conn.address
    return f"{prefix} ({ip!r}, {port}): ".encode() + data


def chat_server(recorder: Recorder, conn: Conn) -> None:
    while data := conn.recv(1024):
        for other in list(recorder.conns):
            other.send(relayed(recorder.prefix, conn, data))


def chat(ctx: ClientContext, session: Session) -> None:
    student, facts = session.student, session.facts
    if not first_connection(ctx, session):
        return
    conn = session.recorder.conns[0]
    time.sleep(IDLE)
    conn.send(f"{ctx.prefix} {OTHER}\n".encode())
    facts["others"] = student.prints(f"{ctx.prefix} {OTHER}".encode(), ctx.wait)
    if not facts["others"]:  # the checks after this one need it
        return
    student.type(b"hi\n")
    if not until(lambda: b"hi" in conn.received, ctx.wait):
        return
    facts["sent"] = True
    facts["printed"] = student.prints(relayed(ctx.prefix, conn, b"hi").rstrip(b"\n"), ctx.wait)
    conn.close_server_side()
    printed = len(student.out)
    # A client that spins (prints without end) is told at once: waiting longer only burns a CPU.
    until(lambda: student.proc.poll() is not None or len(student.out) - printed > SPUN, ctx.wait)
    facts["spun"] = len(student.out) - printed > SPUN
    facts["status"] = student.exits(0 if facts["spun"] else ctx.wait)
    facts["closed"] = until(lambda: conn.client_closed, 0.1 if facts["status"] is None else ctx.wait)


def quit_chat(ctx: ClientContext, session: Session) -> None:
    if first_connection(ctx, session):
        conn = session.recorder.conns[0]
        session.student.type(b"\n")
        session.facts["status"] = session.student.exits(ctx.wait)
        session.facts["closed"] = until(
            lambda: conn.client_closed, 0.1 if session.facts["status"] is None else ctx.wait
        )


@chat_client.check("connects to the HOST and PORT it is given", budget=BUDGET)
def connects(ctx: ClientContext) -> str:
    return connected(ctx.session(chat, chat_server))


@chat_client.check("shows another user's message while nobody types", needs=("connects",), budget=BUDGET)
def shows_others(ctx: ClientContext) -> str:
    if not ctx.session(chat, chat_server).facts.get("others"):
        raise Failure("another user's message was not printed while the client waited", "client-blocks-on-stdin")
    return "printed another user's message at once"


@chat_client.check("sends a typed line", needs=("shows-others",), budget=BUDGET)
def sends_lines(ctx: ClientContext) -> str:
    if not ctx.session(chat, chat_server).facts.get("sent"):
        raise Failure("the typed line 'hi' never reached the server", "client-sends-nothing", line=b"hi")
    return "sent 'hi'"


@chat_client.check("prints the server's broadcast of its own line", needs=("sends-lines",), budget=BUDGET)
def prints_broadcast(ctx: ClientContext) -> str:
    session = ctx.session(chat, chat_server)
    if not session.facts.get("printed"):
        reply = relayed(ctx.prefix, session.recorder.conns[0], b"hi")
        raise Failure("the broadcast of 'hi' was not printed", "client-no-print", reply=reply, expected=reply)
    return "printed its own line as the server relayed it"


@chat_client.check("closes and exits when the server closes", needs=("prints-broadcast",), budget=BUDGET)
def exits_on_close(ctx: ClientContext) -> str:
    facts = ctx.session(chat, chat_server).facts
    if facts.get("status") is None and facts.get("spun"):
        raise Failure("the client kept printing after the server closed", "client-spins-on-close")
    quit_cleanly(facts.get("closed", False), facts.get("status"), "client-no-close")
    return "closed and exited once the server closed"


@chat_client.check("an empty line closes the connection and exits", needs=("connects",), budget=BUDGET)
def empty_line_quits(ctx: ClientContext) -> str:
    facts = ctx.session(quit_chat, chat_server).facts
    quit_cleanly(facts.get("closed", False), facts.get("status"), "client-empty-line")
    return "closed and exited at an empty line"
