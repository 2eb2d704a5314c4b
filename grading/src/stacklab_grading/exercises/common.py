"""What the echo-like exercises share: the expected echo, telling one wrong reply from another, and the checks
that read the same for the one-shot echo, recho and the select echo server."""

from ..engine import Context, Failure
from ..wire import Peer, Reply

HELLO = b"Hello, world"  # what the course's week-1 client sends
SETTLE = 0.3  # seconds without a byte after which a short reply is taken as all there is
PEEK = 0.1  # seconds to wait for bytes beyond the expected reply (an added newline)
# Longer than the course's recv(1024), and the 1,024-byte mark falls inside a two-byte character (bytes 1023-1024).
LONG = b"a" + "\u00e9".encode() * 1999


def echo_of(ctx: Context, data: bytes) -> bytes:
    return ctx.prefix.encode() + b": " + data


def classify(ctx: Context, sent: bytes, got: bytes) -> tuple[str, dict]:
    """The hint id (and its facts) for a reply `got` to `sent` that is not the expected echo."""
    want = echo_of(ctx, sent)
    prefix = ctx.prefix.encode()
    stripped = sent.strip()
    if len(got) > len(want) and got.startswith(want):
        return "adds-newline", {"extra": got[len(want) :]}
    if stripped != sent and got.rstrip() == echo_of(ctx, stripped):
        return "strips-newline", {}
    if got.rstrip() in (sent, stripped):
        return "no-prefix", {"prefix": ctx.prefix}
    for body in (sent, stripped):
        if body and got.endswith(body) and len(got) > len(body):
            head = got[: -len(body)]
            if head.endswith(b": ") and head != prefix + b": " and b" " not in head[:-2]:
                return "wrong-prefix", {"used": head[:-2].decode(errors="replace"), "prefix": ctx.prefix}
            return "prefix-format", {"prefix": ctx.prefix}
    offset = next((i for i, (a, b) in enumerate(zip(want, got, strict=False)) if a != b), min(len(want), len(got)))
    return "mismatch", {"offset": offset}


def expect_echo(
    ctx: Context, peer: Peer, data: bytes, what: str = "the reply", peek: bool = False, probe: bool = True
) -> None:
    """Send `data` and expect exactly its echo back (then, with `peek`, nothing more for a moment)."""
    if not peer.send(data):
        raise Failure(f"client {peer.name} could not send its message", "closed-without-reply")
    expect_reply(ctx, peer, data, what, peek, probe)


def expect_reply(
    ctx: Context, peer: Peer, sent: bytes, what: str = "the reply", peek: bool = False, probe: bool = True
) -> None:
    """Expect exactly the echo of `sent` (already sent) on `peer`. When nothing comes, `probe` looks for why
    (silence); checks that expect silence from a stuck server skip that and its waits."""
    want = echo_of(ctx, sent)
    reply = peer.receive(len(want), what, settle=SETTLE)
    got = reply.data
    if reply.complete and got == want:
        got += peer.listen(PEEK) if peek else b""
        if got == want:
            return
    elif reply.complete:  # as many bytes as expected, but others: the rest of a longer reply tells which mistake
        got += peer.listen(SETTLE)
    if not got and probe:
        raise silence(ctx, peer, sent, want, reply)
    if not got:
        waited = f"{reply.ended} after {reply.waited:.1f} s waiting for {want!r}"
        raise Failure(f"client {peer.name} got no reply to {sent!r}", "no-reply", expected=want, waited=waited)
    hint, facts = classify(ctx, sent, got)
    raise Failure(f"client {peer.name} sent {sent!r}; the reply differs", hint, expected=want, got=got, **facts)


def silence(ctx: Context, peer: Peer, sent: bytes, want: bytes, reply: Reply) -> Failure:
    """Why no reply came: the server closed; or it waits for a newline or for end of file (probed: a newline,
    then a half-close, each given one wait); or it just does not answer."""
    waited = f"timed out after {reply.waited:.1f} s waiting for {want!r}"
    if reply.ended in ("closed", "reset"):
        how = "closed" if reply.ended == "closed" else "reset"
        return Failure(f"the server {how} the connection without replying", "closed-without-reply", expected=want)
    late = len(want) + 2  # the reply and a line ending, should it come after all
    newline = not sent.endswith(b"\n") and peer.send(b"\n")
    if newline and peer.receive(late, "a reply once a newline came", settle=SETTLE).data:
        return Failure(f"no reply to {sent!r} until a newline followed", "waits-for-newline", expected=want)
    peer.half_close()
    if peer.receive(late, "a reply once the client half-closed", settle=SETTLE).data:
        return Failure(f"no reply to {sent!r} until the client half-closed", "waits-for-eof", expected=want)
    return Failure(f"no reply to {sent!r}", "no-reply", expected=want, waited=waited)


def listens(ctx: Context) -> str:
    ctx.connect("A")
    return f"accepted a connection on port {ctx.port}"


def echoes(ctx: Context) -> str:
    expect_echo(ctx, ctx.connect("A"), HELLO, peek=True)
    return f"replied {ctx.prefix}: {HELLO.decode()}"


def same_connection(ctx: Context) -> str:
    a = ctx.connect("A")
    expect_echo(ctx, a, b"one")
    for message in (b"two", b"three"):
        try:
            expect_echo(ctx, a, message)
        except Failure as failure:
            if failure.hint == "closed-without-reply":
                raise Failure("the connection closed after the first reply", "closes-after-one") from None
            raise
    return "three messages echoed on one connection"


def half_close(ctx: Context) -> str:
    a = ctx.connect("A")
    a.send(b"last words")
    a.half_close()
    expect_reply(ctx, a, b"last words", "the reply after the half-close")
    if a.until_closed("the server to close after the client's half-close").ended == "timeout":
        raise Failure("the server kept the connection open after the client half-closed", "ignores-eof")
    return "echoed the last message, then closed"


def payload(ctx: Context, data: bytes) -> bytes | None:
    """The echoed bytes of a stream of `PREFIX: chunk` replies (any chunking), or None if it is not one."""
    mark = echo_of(ctx, b"")
    if not data.startswith(mark):
        return None
    return b"".join(data.split(mark))


def long_message(ctx: Context) -> str:
    """A message over 1,024 bytes comes back whole, in chunks each with its own prefix (or in one)."""
    a = ctx.connect("A")
    a.send(LONG)
    reply = a.receive_until(lambda got: len(payload(ctx, got) or b"") >= len(LONG), "the whole echo", settle=1.0)
    back = payload(ctx, reply.data)
    if back == LONG:
        return f"echoed all {len(LONG):,} bytes"
    want = echo_of(ctx, LONG)
    if reply.data and (back is None or not LONG.startswith(back)):
        hint, facts = classify(ctx, LONG, reply.data)
        raise Failure(f"sent {len(LONG):,} bytes; the echo differs", hint, expected=want, got=reply.data, **facts)
    back = back or b""
    facts = {"received": len(back), "size": len(LONG), "offset": len(back)}
    if reply.ended in ("closed", "reset"):  # the server gave up in the middle: a piece it could not handle
        raise Failure(f"the server closed after echoing {len(back):,} bytes", "decodes-chunks", **facts)
    if len(back) <= 1024:
        raise Failure(f"got {len(back):,} of {len(LONG):,} bytes back", "recv-once", **facts)
    raise Failure(f"got {len(back):,} of {len(LONG):,} bytes back", "lost-bytes", **facts)


def survives_reset(ctx: Context) -> str:
    """A client that resets after an exchange; the next client is still served."""
    a = ctx.connect("A")
    expect_echo(ctx, a, b"about to vanish")
    a.reset()
    try:
        expect_echo(ctx, ctx.connect("B"), b"still there?", probe=False)
    except Failure as failure:
        raise Failure(f"after A's reset: {failure.rationale}", "dies-on-reset") from None
    return "served B after A's reset"
