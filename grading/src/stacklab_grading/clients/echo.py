"""Week 1-2, the echo client (course.md 1.1): `python echo_client.py HOST PORT` connects, sends `Hello, world`
(week 1) or the line typed at its `> ` prompt (week 2), prints the server's reply `PREFIX: Hello, world`, closes.
The recording server answers as the course's echo server did: one recv, one reply, close. The 2012 client read
its reply with one recv(1024): a reply split over two segments shows only its first half (course.md 4, item 9)."""

import time

from ..engine import Exercise, Failure
from .common import BUDGET, connected, echo_of, first_connection, quit_cleanly
from .session import ClientContext, Conn, Recorder, Session, until

HELLO = b"Hello, world"
SENT = (HELLO, HELLO + b"\n", HELLO + b"\r\n")  # typed with or without its line ending
SPLIT_GAP = 0.1  # seconds between the two halves of a split reply

echo_client = Exercise("echo", "1", 50000, "connect, send 'Hello, world', print the reply, close")


def echo_server(split: bool):
    def handle(recorder: Recorder, conn: Conn) -> None:
        if data := conn.recv(1024):
            reply = echo_of(recorder, data)
            if split:
                conn.send(reply[: len(reply) // 2])
                time.sleep(SPLIT_GAP)
                reply = reply[len(reply) // 2 :]
            conn.send(reply)
        conn.close_server_side()
        while conn.recv():  # until the client closes in turn
            pass

    return handle


def run_echo(ctx: ClientContext, session: Session) -> None:
    session.student.type(HELLO + b"\n")
    if not first_connection(ctx, session):
        return
    conn = session.recorder.conns[0]
    if not until(lambda: conn.received or conn.client_closed, ctx.wait):
        return
    session.facts["printed"] = session.student.prints(echo_of(ctx, HELLO), ctx.wait)
    session.facts["status"] = session.student.exits(ctx.wait)
    session.facts["closed"] = until(lambda: conn.client_closed, 0.1 if session.facts["status"] is None else ctx.wait)


def plain(ctx: ClientContext, session: Session) -> None:
    run_echo(ctx, session)


def split(ctx: ClientContext, session: Session) -> None:
    run_echo(ctx, session)


@echo_client.check("connects to the HOST and PORT it is given", budget=BUDGET)
def connects(ctx: ClientContext) -> str:
    return connected(ctx.session(plain, echo_server(False)))


@echo_client.check("sends 'Hello, world' (or the line typed)", needs=("connects",), budget=BUDGET)
def sends(ctx: ClientContext) -> str:
    got = bytes(ctx.session(plain, echo_server(False)).recorder.conns[0].received)
    if not got:
        raise Failure("the client sent nothing", "client-sends-nothing", line=HELLO)
    if got not in SENT:
        raise Failure(f"the client sent {got!r}", "client-sends-other", sent=got, want=[HELLO])
    return f"sent {got!r}"


@echo_client.check("prints the server's reply", needs=("sends",), budget=BUDGET)
def prints_reply(ctx: ClientContext) -> str:
    if not ctx.session(plain, echo_server(False)).facts.get("printed"):
        reply = echo_of(ctx, HELLO)
        raise Failure("the reply was not printed", "client-no-print", reply=reply, expected=reply)
    return f"printed {echo_of(ctx, HELLO).decode()!r}"


@echo_client.check("closes its connection and exits once the server closed", needs=("prints-reply",), budget=BUDGET)
def closes(ctx: ClientContext) -> str:
    facts = ctx.session(plain, echo_server(False)).facts
    quit_cleanly(facts.get("closed", False), facts.get("status"), "client-no-close")
    return "closed and exited with status 0"


@echo_client.check("prints a reply that came in two segments whole", needs=("closes",), budget=BUDGET)
def split_reply(ctx: ClientContext) -> str:
    if not ctx.session(split, echo_server(True)).facts.get("printed"):
        reply = echo_of(ctx, HELLO)
        raise Failure("the reply, sent in two segments, was not printed whole", "client-recv-once", size=len(reply))
    return f"printed the reply sent in two segments {SPLIT_GAP:g} s apart"
