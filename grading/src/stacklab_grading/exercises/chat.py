"""Weeks 2-4, the chat server (course.md 1.4): every message from any client goes to all connected clients, the
sender included, as `PREFIX ('ip', port): message` (the sender's address as the server sees it, a Python tuple).
The course relayed whatever one recv returned; messages here end with a newline, which such a server relays
as it is and a line-framed server (the lab's) needs. Its crash on a client's reset and its blocking send to a
client that does not read were bugs (course.md 1.4 and 4, items 9-10)."""

import re
import selectors
import time

from ..engine import Context, Exercise, Failure
from ..wire import Peer

CLIENTS = 50
FIRST_WAIT = 0.1  # seconds for a message to reach everyone before it is said again (see spoken)
FLOOD_LINE = 8000  # bytes of each line of the slow-client check (the lab's server refuses lines over 64 KiB)
FLOOD_BYTES = 6 << 20  # what A sends while S never reads: more than S's window and the server's (autotuned) send
# buffer towards S hold, so that a server whose send to S blocks stops relaying
AHEAD = 16  # lines A may send beyond what C heard: 128 KiB, half what a server may buffer for a client
SLOW_WINDOW = 16 * 1024  # the slow client's receive buffer, fixed small: its replies pile up at the server
LINE = re.compile(rb"^(?P<head>.*?)(?P<tuple>\('[^']*', \d+\))?: (?P<message>.*)\n\Z", re.S)

chat = Exercise("chat", "2-4", 50004, "send each message to every client, sender included, as PREFIX ('ip', port): msg")
# No "listens" check: its client would leave before the broadcast check, where a server that cannot bear a
# departure must still pass (the departure check names that mistake).


def line_of(ctx: Context, sender: Peer, message: bytes) -> bytes:
    return f"{ctx.prefix} {sender.address!r}: ".encode() + message + b"\n"


def hears(ctx: Context, listener: Peer, sender: Peer, message: bytes, wait: float | None = None) -> bytes | None:
    """The line `listener` got for `message` (the bytes after it are kept for the next receive); None if nothing
    came for it; Failure if it came, but not in the course's format."""
    want = line_of(ctx, sender, message)
    end = message + b"\n"
    reply = listener.receive_until(lambda got: end in got, f"{sender.name}'s message", wait=wait)
    data = reply.data
    if reply.complete:
        cut = data.find(end) + len(end)
        listener.keep(data[cut:])
        line = data[data.rfind(b"\n", 0, cut - 1) + 1 : cut]  # lines of earlier messages are not this check's
    else:  # the message without its newline, at the end of what came, or not at all
        line = data[data.rfind(b"\n") + 1 :]
        if message not in line:
            return None
    if line == want:
        return line
    raise wrong_line(ctx, sender, want, line)


def wrong_line(ctx: Context, sender: Peer, want: bytes, got: bytes) -> Failure:
    prefix = ctx.prefix.encode()
    match = LINE.match(got)
    facts: dict = {"prefix": ctx.prefix}
    hint = "chat-format"
    if match and match["tuple"] and match["head"] == prefix + b" ":
        hint, facts = "wrong-sender", {"named": match["tuple"].decode(), "sender": repr(sender.address)}
    elif match and match["tuple"] and not match["head"].strip():
        hint = "no-prefix"
    elif match and match["tuple"] and match["head"].endswith(b" "):
        hint, facts = "wrong-prefix", {"used": match["head"].strip().decode(errors="replace"), "prefix": ctx.prefix}
    return Failure(
        f"a chat line from {sender.name} is not in the course's format", hint, expected=want, got=got, **facts
    )


def spoken(ctx: Context, speaker: Peer, listeners: list[Peer], text: str) -> list[Peer]:
    """`speaker` says `text`; the listeners that did not hear it. The server may not have taken in the newest
    connections yet when the speaker speaks, and a message is not kept for a client that joins later: whoever
    missed it within FIRST_WAIT gets a second chance, the speaker saying it again, within one wait in all."""
    message = text.encode()
    speaker.send(message + b"\n")
    missed = heard_by(ctx, speaker, listeners, message, min(FIRST_WAIT, ctx.wait))
    if missed:
        again = message + b" (again)"
        speaker.send(again + b"\n")
        missed = heard_by(ctx, speaker, missed, again, ctx.wait)
    return missed


def heard_by(ctx: Context, speaker: Peer, listeners: list[Peer], message: bytes, wait: float) -> list[Peer]:
    """The listeners that did not hear `message` within `wait` seconds from now (one deadline for them all)."""
    deadline = time.monotonic() + wait
    return [
        listener
        for listener in listeners
        if hears(ctx, listener, speaker, message, wait=max(0.01, deadline - time.monotonic())) is None
    ]


@chat.check("a message from A reaches B as PREFIX ('ip', port): message")
def broadcast(ctx: Context) -> str:
    a, b = ctx.connect("A"), ctx.connect("B")
    if spoken(ctx, a, [b], "hello from A"):
        raise Failure("B did not receive A's message", "not-broadcast")
    return "B got A's message, tagged with A's address"


# Every check's clients leave when it ends: from here on the server has seen clients leave (the broadcast check's
# first), so a server that cannot bear a departure fails here, named as such.
@chat.check("after B leaves (a normal close), A's messages still reach C", needs=("broadcast",))
def departure(ctx: Context) -> str:
    a, b, c = ctx.connect("A"), ctx.connect("B"), ctx.connect("C")
    if spoken(ctx, a, [b, c], "all here"):
        raise Failure("after the last check's clients left, B and C did not hear A", "dies-on-close")
    b.close()
    for n in (1, 2):
        if spoken(ctx, a, [c], f"B left, message {n}"):
            raise Failure(f"after B left, C did not hear A's message {n}", "dies-on-close")
    return "C still hears A after B left"


@chat.check("the sender gets its own message too", needs=("departure",))
def sender_included(ctx: Context) -> str:
    a, b = ctx.connect("A"), ctx.connect("B")
    spoken(ctx, a, [b], "hello from A")
    if hears(ctx, a, a, b"hello from A", wait=FIRST_WAIT) is None and hears(ctx, a, a, b"hello from A (again)") is None:
        raise Failure("A did not receive its own message", "sender-excluded")
    return "A got its own message"


@chat.check("after B resets its connection, A's messages still reach C", needs=("departure",))
def survives_reset(ctx: Context) -> str:
    a, b, c = ctx.connect("A"), ctx.connect("B"), ctx.connect("C")
    if spoken(ctx, a, [b, c], "all here"):
        raise Failure("B and C did not hear A before B's reset", "not-broadcast")
    b.reset()
    for n in (1, 2):
        if spoken(ctx, a, [c], f"B vanished, message {n}"):
            raise Failure(f"after B's reset, C did not hear A's message {n}", "dies-on-reset")
    return "C still hears A after B's reset"


@chat.check(f"a message reaches all of {CLIENTS} clients connected at once", needs=("departure",), budget=8.0)
def fifty(ctx: Context) -> str:
    clients = [ctx.connect(f"{n:02d}") for n in range(CLIENTS)]
    if missed := spoken(ctx, clients[0], clients[1:], "to all fifty"):
        answered = CLIENTS - len(missed)
        facts = {"answered": answered, "clients": CLIENTS, "wait": ctx.wait}
        raise Failure(f"{answered} of {CLIENTS} clients got the message", "fifty", **facts)
    return f"all {CLIENTS} clients got the message"


@chat.check("keeps serving A and C while S never reads", needs=("survives-reset",), budget=10.0)
def slow_client(ctx: Context) -> str:
    a, c, slow = ctx.connect("A"), ctx.connect("C"), ctx.connect("S", window=SLOW_WINDOW)
    if spoken(ctx, a, [c, slow], "S is here"):
        raise Failure("C and S did not hear A before the flood", "not-broadcast")
    line = b"f" * FLOOD_LINE + b"\n"
    count = FLOOD_BYTES // len(line)
    a.transcript.add("A", ">>", f"{count:,} lines of {len(line):,} bytes ({line[:12]!r}...); S reads none")
    heard = flood(a, c, line, count, ctx.wait)
    if heard < count:
        a.transcript.add("C", "<<", f"{heard:,} of {count:,} lines, then nothing for {ctx.wait:g} s")
        raise Failure(f"C stopped hearing A after {heard:,} lines while S did not read", "slow-client")
    return f"C heard all {count:,} lines while S read none"


def flood(speaker: Peer, listener: Peer, line: bytes, count: int, stall: float) -> int:
    """The speaker sends `count` lines, never more than AHEAD lines beyond what the listener has heard (a reader
    that keeps up must not look slow), while it and the listener read; how many lines the listener heard before
    the traffic stalled for `stall` seconds (or all of them)."""
    todo = memoryview(line * count)
    lines = {speaker.sock: 0, listener.sock: 0}
    with selectors.DefaultSelector() as selector:
        for peer in (speaker, listener):
            peer.sock.setblocking(False)
            selector.register(peer.sock, selectors.EVENT_READ)
        last = time.monotonic()
        while lines[listener.sock] < count and time.monotonic() - last < stall:
            sent_lines = count - len(todo) // len(line)
            writing = bool(todo) and sent_lines - lines[listener.sock] < AHEAD
            selector.modify(speaker.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if writing else 0))
            for key, mask in selector.select(0.1):
                try:
                    if mask & selectors.EVENT_WRITE:
                        todo = todo[key.fileobj.send(todo[: len(line)]) :]
                        last = time.monotonic()
                    if mask & selectors.EVENT_READ:
                        if not (chunk := key.fileobj.recv(65536)):
                            return lines[listener.sock]
                        lines[key.fileobj] += chunk.count(b"\n")
                        last = time.monotonic()
                except BlockingIOError:
                    continue
                except OSError:
                    return lines[listener.sock]
    return lines[listener.sock]
