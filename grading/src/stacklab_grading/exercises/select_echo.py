"""Weeks 2-3, the select echo server (course.md 1.3): any number of clients at once, each chunk echoed as
`PREFIX: chunk` to its sender only. The course's server also stopped on a line of stdin, and at once when stdin
was closed (course.md 4, item 10): no network check sees that, the not-listening hint names it."""

import time

from ..engine import Context, Exercise, Failure
from ..wire import sends_until_blocked
from .common import PEEK, echoes, expect_echo, half_close, listens, long_message, same_connection, survives_reset

CLIENTS = 50
FLOOD_CAP = 16 << 20  # bytes the slow client sends at most, until the server stops taking them
SLOW_WINDOW = 16 * 1024  # the slow client's receive buffer, fixed small: its replies pile up at the server
FLOOD_STALL = 0.3  # seconds the server may take no byte before the flood counts as blocked

select_echo = Exercise("select_echo", "2-3", 50003, "echo 'PREFIX: data' to each of many clients at once")
select_echo.add("listens", "accepts a TCP connection on its port", listens)
select_echo.add("echoes", "answers 'Hello, world' with exactly 'PREFIX: Hello, world'", echoes, ["listens"])
select_echo.add("same-connection", "echoes three messages in turn on one connection", same_connection, ["echoes"])


@select_echo.check("serves B while A is connected and silent; each gets only its own echo", ("same-connection",))
def two_at_once(ctx: Context) -> str:
    a = ctx.connect("A")
    b = ctx.connect("B")
    try:
        expect_echo(ctx, b, b"B speaks first", probe=False)
    except Failure as failure:
        if failure.hint == "no-reply":
            raise Failure(f"B got no echo while A was connected: {failure.rationale}", "serial") from None
        raise
    if stray := a.listen(PEEK):
        raise Failure(f"A received {stray!r}, B's echo", "echo-to-all", got=stray, who="A")
    expect_echo(ctx, a, b"A speaks now")
    if stray := b.listen(PEEK):
        raise Failure(f"B received {stray!r}, A's echo", "echo-to-all", got=stray, who="B")
    return "A and B served at once, each its own echo"


select_echo.add(
    "half-close", "echoes a last message sent before a half-close, then closes", half_close, ["same-connection"]
)
select_echo.add("long-message", "echoes all of a message over 1,024 bytes", long_message, ["same-connection"])


@select_echo.check(f"answers {CLIENTS} clients connected at once", needs=("two-at-once",), budget=8.0)
def fifty(ctx: Context) -> str:
    clients = [ctx.connect(f"{n:02d}") for n in range(CLIENTS)]
    for n, client in enumerate(clients):
        client.send(f"client {n:02d}".encode())
    answered = 0
    deadline = time.monotonic() + ctx.wait  # one wait for them all
    for n, client in enumerate(clients):
        want = ctx.prefix.encode() + f": client {n:02d}".encode()
        wait = max(0.01, deadline - time.monotonic())
        answered += client.receive(len(want), "its echo", wait=wait).data == want
    if answered < CLIENTS:
        facts = {"answered": answered, "clients": CLIENTS, "wait": ctx.wait}
        raise Failure(f"{answered} of {CLIENTS} clients got their echo", "fifty", **facts)
    return f"{CLIENTS} clients at once, each echoed"


select_echo.add("survives-reset", "keeps serving after a client resets its connection", survives_reset, ["two-at-once"])


@select_echo.check("keeps serving others while a client sends without reading", needs=("survives-reset",))
def slow_client(ctx: Context) -> str:
    b = ctx.connect("B")
    expect_echo(ctx, b, b"before the flood")
    slow = ctx.connect("S", window=SLOW_WINDOW)
    sent = sends_until_blocked(slow, b"x" * 65536, FLOOD_CAP, FLOOD_STALL)
    try:
        expect_echo(ctx, b, b"after the flood", probe=False)
    except Failure as failure:
        raise Failure(f"after S sent {sent:,} bytes unread: {failure.rationale}", "slow-client") from None
    return f"B still served while S sent {sent:,} bytes without reading"
