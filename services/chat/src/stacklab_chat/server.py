"""Chat server (course week 2 assignment, week 4 solution): every message goes to every client, sender included.

Wire format, the course's: `PREFIX ('ip', port): message` where the tuple is the sender's address as the server
sees it. Modern fixes: only text is relayed (control characters escaped, a line that forges a sender's tag
refused: see as_text and FORGED_TAG), messages are newline-framed (the course relayed whatever one recv returned,
so messages merged or split), sends are nonblocking with a bounded output buffer per client (the course's blocking
send let one slow client stall everyone), resets never crash the server, stdin is never read, SIGTERM/SIGINT stop it.
"""

import argparse
import os
import re
import socket

from stacklab_core.runtime import env_flag, log, parse, parser, printable
from stacklab_echo.multiplex import Connection, Multiplexer, add_flags, serve

NICK_COMMAND = b"/nick "
NICK_MAX = 32
# What every relayed line and notice begins with: `PREFIX ('ip', port)` or, with a nick, `PREFIX NAME ('ip', port)`.
FORGED_TAG = r"\s*{prefix} (?:\S+ )?\('[^']*', \d+\)"
FORGED_TAG_ERROR = b"error: a line may not begin like a sender's tag PREFIX ('ip', port)\n"


class Client(Connection):
    __slots__ = ("inbuf", "refusing", "tag")

    def __init__(self, sock: socket.socket, addr: tuple, prefix: bytes):
        super().__init__(sock, addr)
        self.tag = prefix + b" " + repr(addr).encode() + b": "  # what goes before each of its messages
        self.inbuf = bytearray()  # a partial line, kept until its newline arrives
        self.refusing = False  # True while discarding the rest of an over-long line


class ChatServer(Multiplexer):
    def __init__(self, listener: socket.socket, prefix: bytes, limits: argparse.Namespace, extras: bool = False):
        super().__init__(listener, limits)  # its connections are this server's clients, in joining order
        self.prefix = prefix
        self.forged_tag = re.compile(FORGED_TAG.format(prefix=re.escape(prefix.decode(errors="replace"))))
        self.extras = extras  # join/leave notices and /nick: off by default, the course's protocol has neither
        self.notices: list[bytes] = []  # notices wait until the message being delivered reached everyone
        self.broadcasting = False
        self.max_line = limits.max_line
        self.pending: dict[Client, None] = {}  # clients with output to send at the end of this round

    def connection(self, sock: socket.socket, addr: tuple) -> Client:
        return Client(sock, addr, self.prefix)

    def opened(self, client: Client) -> None:
        self._notice(client, b"joined")

    def round_done(self) -> None:
        # Flushing once per round batches the messages of many senders into one send per client.
        while self.pending:  # a flush may drop a client, whose `left` notice makes more pending
            client, _ = self.pending.popitem()
            if client.sock is not None:
                self.flush(client)

    def input_ended(self, client: Client) -> None:
        client.inbuf.clear()  # a last line without its newline is incomplete: not a message

    def closed(self, client: Client) -> None:
        client.inbuf.clear()
        self._notice(client, b"left")

    def received(self, client: Client, data: bytes) -> None:
        client.inbuf += data
        # A broadcast may drop this very client (it does not read what it is sent): then stop.
        while client.sock is not None and (end := client.inbuf.find(b"\n")) >= 0:
            line = bytes(client.inbuf[:end]).removesuffix(b"\r")  # telnet sends CRLF
            del client.inbuf[: end + 1]
            if client.refusing:  # the tail of a line already refused
                client.refusing = False
            elif len(line) > self.max_line:
                self._refuse(client)
            elif self.extras and line.startswith(NICK_COMMAND):
                self._nick(client, line.removeprefix(NICK_COMMAND).strip())
            elif line:
                self._relay(client, line)
        if len(client.inbuf) > self.max_line:
            if not client.refusing:
                self._refuse(client)
                client.refusing = True
            client.inbuf.clear()

    def _relay(self, client: Client, line: bytes) -> None:
        text = as_text(line)
        if self.forged_tag.match(text):  # it would read as another client's message (or a server notice)
            log(f"{client.addr!r}: line forging a sender's tag refused: {printable(line)}")
            self._send(client, FORGED_TAG_ERROR)
            return
        message = text.encode()
        if len(message) > self.max_line:  # escapes made it longer: the limit holds for what is relayed
            self._refuse(client)
            return
        log(f"{client.addr!r}: {printable(line)}")
        self._broadcast(client.tag + message + b"\n")

    def _nick(self, client: Client, name: bytes) -> None:
        if not _valid_nick(name):
            self._send(client, f"error: a nick is 1 to {NICK_MAX} printable characters without spaces\n".encode())
            return
        client.tag = self.prefix + b" " + name + b" " + repr(client.addr).encode() + b": "
        log(f"{client.addr!r}: now known as {printable(name)}")
        self._notice(client, b"is now known as " + name)

    def _notice(self, client: Client, event: bytes) -> None:
        if self.extras:
            self.notices.append(self.prefix + b" " + repr(client.addr).encode() + b" " + event + b"\n")
            if not self.broadcasting:
                self._announce()

    def _announce(self) -> None:
        while self.notices:
            self._broadcast(self.notices.pop(0))

    def _refuse(self, client: Client) -> None:
        log(f"{client.addr!r}: line longer than {self.max_line} bytes refused")
        self._send(client, f"error: line longer than {self.max_line} bytes refused\n".encode())

    def _broadcast(self, message: bytes) -> None:
        """Everyone gets `message` before anything else, so all clients see one order (a drop's notice waits)."""
        self.broadcasting = True
        try:
            for client in list(self.connections):
                if client.sock is not None:
                    self._send(client, message)
        finally:
            self.broadcasting = False
        self._announce()

    def _send(self, client: Client, data: bytes) -> None:
        if client.sock is None:
            return
        client.out += data
        if len(client.out) > self.max_output:
            self.flush(client)  # the kernel may still take it; if not, the client is dropped
        else:
            self.pending[client] = None


def as_text(line: bytes) -> str:
    """A line as text only: invalid UTF-8 and every non-printable character but tab (NUL, ESC and the rest of C0,
    DEL, C1, bidi overrides) become visible escapes such as `\\x1b`, so no client can drive another's terminal."""
    text = line.decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() or c == "\t" else repr(c)[1:-1] for c in text)


def _valid_nick(name: bytes) -> bool:
    try:
        text = name.decode()
    except UnicodeDecodeError:
        return False
    return 0 < len(text) <= NICK_MAX and text.isprintable() and " " not in text


def main(argv: list[str] | None = None) -> int:
    p = parser(
        "Chat server: every line from a client goes to all clients (port env CHAT_PORT).",
        "CHAT_PORT",
        50004,
        "chat_server.py",
    )
    # 256 clients x (256 KiB unread + a 64 KiB partial line) = 80 MiB of buffers at most.
    add_flags(p, "CHAT", heartbeat=60.0, max_clients=256, max_output=256 * 1024, idle=900.0)
    env_flag(p, "--max-line", "CHAT_MAX_LINE", 1 << 16, "longest message in bytes; longer lines are refused", "64 KiB")
    p.add_argument(
        "--extras",
        action="store_true",
        default=os.environ.get("CHAT_EXTRAS", "") not in ("", "0"),
        help="announce joins and leaves, accept `/nick NAME` (env CHAT_EXTRAS=1; off: the course's protocol)",
    )
    args = parse(p, argv)
    prefix = args.prefix.encode()
    return serve("chat_server", args, lambda listener: ChatServer(listener, prefix, args, args.extras))


if __name__ == "__main__":
    raise SystemExit(main())
