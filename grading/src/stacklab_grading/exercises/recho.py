"""Week 2, the repeat-echo server (course.md 1.2): one connection per client, every chunk it sends echoed as
`PREFIX: chunk` until it closes, then the next client. SERIAL on purpose (week 3 lab_recho.txt): a client that
connects while another is served waits, unanswered, until the first one leaves."""

from ..engine import Context, Exercise, Failure
from .common import (
    echoes,
    expect_echo,
    expect_reply,
    half_close,
    listens,
    long_message,
    same_connection,
    survives_reset,
)

SERIAL_WINDOW = 0.25  # seconds in which a second client must get no answer while the first is connected

recho = Exercise("recho", "2", 50002, "echo every message 'PREFIX: data' until the client closes; one at a time")
recho.add("listens", "accepts a TCP connection on its port", listens)
recho.add("echoes", "answers 'Hello, world' with exactly 'PREFIX: Hello, world'", echoes, ["listens"])
recho.add("same-connection", "echoes three messages in turn on one connection", same_connection, ["echoes"])
recho.add("half-close", "echoes a last message sent before a half-close, then closes", half_close, ["same-connection"])
recho.add("long-message", "echoes all of a message over 1,024 bytes", long_message, ["same-connection"])


@recho.check("serves one client at a time: B waits until A leaves, then is answered", needs=("same-connection",))
def serial(ctx: Context) -> str:
    a = ctx.connect("A")
    expect_echo(ctx, a, b"A first")
    b = ctx.connect("B")
    b.send(b"B waits")
    if early := b.listen(SERIAL_WINDOW):
        raise Failure(f"B was answered {early!r} while A was still connected", "not-serial")
    a.close()
    try:
        expect_reply(ctx, b, b"B waits", "B's reply once A left", probe=False)
    except Failure as failure:
        if failure.hint == "no-reply":
            raise Failure(f"after A left: {failure.rationale}", "drops-waiting") from None
        raise
    return f"B got no answer for {SERIAL_WINDOW:g} s while A was connected, then its echo"


recho.add("survives-reset", "keeps serving after a client resets its connection", survives_reset, ["serial"])
