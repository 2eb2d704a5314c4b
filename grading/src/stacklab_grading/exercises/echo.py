"""Week 1, the one-shot echo server (course.md 1.1): per connection one recv(1024), one reply `PREFIX: data`
(the data unchanged, nothing added), then close. Reading once is the task: a long message may come back cut at
1,024 bytes, and that passes; the server must only survive it."""

from ..engine import Context, Exercise, Failure
from .common import HELLO, LONG, echo_of, echoes, expect_echo

echo = Exercise("echo", "1", 50000, "per connection, read once, reply 'PREFIX: data', then close")
# No separate "listens" check: its connection, closed without a message, would be the empty-connection check's,
# and a server that stops after one client would spend its one client on it.
echo.add("replies", "answers 'Hello, world' with exactly 'PREFIX: Hello, world'", echoes)


@echo.check("answers client after client, each on its own connection", needs=("replies",))
def serves_again(ctx: Context) -> str:
    for n in range(2, 7):
        try:
            client = ctx.connect(f"C{n}")
            expect_echo(ctx, client, f"client {n}".encode(), probe=False)
        except Failure as failure:
            if failure.hint in ("not-listening", "no-reply"):
                raise Failure(f"client {n}: {failure.rationale}", "exits-after-one") from None
            raise
        client.close()
    return "answered 5 more clients in turn"


@echo.check("closes the connection after its one reply", needs=("serves-again",))
def closes(ctx: Context) -> str:
    a = ctx.connect("A")
    a.send(HELLO)
    if a.until_closed("the server to close after its reply").ended == "timeout":
        raise Failure("the connection stayed open after the reply", "no-close", expected=echo_of(ctx, HELLO))
    return "closed after replying"


@echo.check("sends the data back unchanged, line ending included", needs=("serves-again",))
def keeps_line_ending(ctx: Context) -> str:
    expect_echo(ctx, ctx.connect("A"), b"Hello, world\r\n", peek=True)
    return "kept '\\r\\n'"


@echo.check("survives a client that connects and closes without sending", needs=("serves-again",))
def empty_connection(ctx: Context) -> str:
    ctx.connect("A").close()
    try:
        expect_echo(ctx, ctx.connect("B"), HELLO, probe=False)
    except Failure as failure:
        raise Failure(f"after an empty connection: {failure.rationale}", "dies-on-empty") from None
    return "still answering after an empty connection"


@echo.check("survives a message over 1,024 bytes (its reply may be cut: one recv)", needs=("serves-again",))
def long_message(ctx: Context) -> str:
    a = ctx.connect("A")
    a.send(LONG)
    reply = a.until_closed("the reply to a long message")
    body = reply.data.removeprefix(echo_of(ctx, b""))
    problem = ""
    if not reply.data.startswith(echo_of(ctx, b"")) or not body or not LONG.startswith(body):
        problem = f"the reply to {len(LONG):,} bytes was {len(reply.data):,} bytes, not 'PREFIX: ' and a first part"
    else:
        try:
            expect_echo(ctx, ctx.connect("B"), HELLO, probe=False)
        except Failure as failure:
            problem = f"after a long message: {failure.rationale}"
    if problem:
        raise Failure(problem, "dies-on-long", expected=echo_of(ctx, LONG), got=reply.data, size=len(LONG))
    return f"replied with the first {len(body):,} bytes and kept serving"
