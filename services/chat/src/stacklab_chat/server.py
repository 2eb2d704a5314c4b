"""Chat server (course week 2 assignment, week 4 solution): every message goes to every client, sender included.

Wire format, the course's: `PREFIX ('ip', port): message` where the tuple is the sender's address as the server
sees it. Modern fixes: messages are newline-framed (the course relayed whatever one recv returned, so messages
merged or split), sends are nonblocking with a bounded output buffer per client (the course's blocking send let one
slow client stall everyone), resets never crash the server, stdin is never read, SIGTERM/SIGINT stop it.
"""

import datetime
import errno
import os
import selectors
import socket

from stacklab_chat.runtime import (
    Shutdown,
    env_number,
    handle_signals,
    listen,
    log,
    parse,
    parser,
    peer,
    printable,
    raise_fd_limit,
)

RECV_SIZE = 65536
NICK_COMMAND = b"/nick "
NICK_MAX = 32
OUT_OF_FDS = (errno.EMFILE, errno.ENFILE)


class Client:
    __slots__ = ("addr", "events", "inbuf", "out", "reading", "refusing", "sock", "tag")

    def __init__(self, sock: socket.socket, addr: tuple, prefix: bytes):
        self.sock: socket.socket | None = sock
        self.addr = addr
        self.tag = prefix + b" " + repr(addr).encode() + b": "  # what goes before each of its messages
        self.inbuf = bytearray()  # a partial line, kept until its newline arrives
        self.out = bytearray()  # messages not yet accepted by the kernel
        self.events = selectors.EVENT_READ
        self.reading = True  # False once the client has half-closed: deliver what it is owed, then close
        self.refusing = False  # True while discarding the rest of an over-long line


class ChatServer:
    def __init__(self, listener: socket.socket, prefix: bytes, max_line: int, max_output: int, extras: bool = False):
        self.listener = listener
        self.prefix = prefix
        self.extras = extras  # join/leave notices and /nick: off by default, the course's protocol has neither
        self.notices: list[bytes] = []  # notices wait until the message being delivered reached everyone
        self.broadcasting = False
        self.max_line = max_line
        self.max_output = max_output
        self.selector = selectors.DefaultSelector()
        self.clients: dict[Client, None] = {}  # insertion-ordered set: everyone gets messages in the same order
        self.pending: dict[Client, None] = {}  # clients with output to send at the end of this round
        self.accepting = False

    def run(self, heartbeat: float) -> None:
        self.listener.setblocking(False)
        self._accept_again()
        try:
            while True:
                events = self.selector.select(timeout=heartbeat)
                if not events:
                    log(f"Server running at {datetime.datetime.now()}")
                for key, mask in events:
                    if key.data is None:
                        self._accept()
                        continue
                    client = key.data
                    if client.sock is None:  # closed earlier in this round, e.g. dropped by a broadcast
                        continue
                    if mask & selectors.EVENT_READ:
                        self._read(client)
                    if mask & selectors.EVENT_WRITE and client.sock is not None:
                        self._flush(client)
                # Flushing once per round batches the messages of many senders into one send per client.
                while self.pending:  # a flush may drop a client, whose `left` notice makes more pending
                    client, _ = self.pending.popitem()
                    if client.sock is not None:
                        self._flush(client)
        finally:  # also reached from a signal in the middle of _close: sock may already be None
            for client in self.clients:
                if client.sock is not None:
                    client.sock.close()
            self.selector.close()

    def _accept(self) -> None:
        while True:
            try:
                sock, addr = self.listener.accept()
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno in OUT_OF_FDS:  # stop listening until a client leaves, rather than spin
                    log(f"accept paused: {exc.strerror}")
                    self.selector.unregister(self.listener)
                    self.accepting = False
                    return
                log(f"accept failed: {exc}")
                continue
            sock.setblocking(False)
            client = Client(sock, peer(addr), self.prefix)
            self.selector.register(sock, selectors.EVENT_READ, client)
            self.clients[client] = None
            log(f"accepted connection from {client.addr!r}")
            self._notice(client, b"joined")

    def _accept_again(self) -> None:
        if not self.accepting:
            self.selector.register(self.listener, selectors.EVENT_READ, None)
            self.accepting = True

    def _read(self, client: Client) -> None:
        try:
            data = client.sock.recv(RECV_SIZE)
        except BlockingIOError:
            return
        except OSError as exc:
            self._close(client, f" ({exc.strerror or exc})")
            return
        if not data:
            client.reading = False
            client.inbuf.clear()  # a last line without its newline is incomplete: not a message
            self._flush(client)
            return
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
                log(f"{client.addr!r}: {printable(line)}")
                self._broadcast(client.tag + line + b"\n")
        if len(client.inbuf) > self.max_line:
            if not client.refusing:
                self._refuse(client)
                client.refusing = True
            client.inbuf.clear()

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
            for client in list(self.clients):
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
            self._flush(client)  # the kernel may still take it; if not, the client is dropped
        else:
            self.pending[client] = None

    def _flush(self, client: Client) -> None:
        try:
            sent = client.sock.send(client.out) if client.out else 0
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            self._close(client, f" ({exc.strerror or exc})")
            return
        del client.out[:sent]
        if len(client.out) > self.max_output:
            self._close(client, f" (dropped: more than {self.max_output} bytes unread)")
            return
        wanted = (selectors.EVENT_READ if client.reading else 0) | (selectors.EVENT_WRITE if client.out else 0)
        if not wanted:
            self._close(client, "")
        elif wanted != client.events:
            self.selector.modify(client.sock, wanted, client)
            client.events = wanted

    def _close(self, client: Client, reason: str) -> None:
        self.selector.unregister(client.sock)
        client.sock.close()
        client.sock = None
        client.out.clear()
        client.inbuf.clear()
        del self.clients[client]
        log(f"closed connection from {client.addr!r}{reason}")
        self._notice(client, b"left")
        self._accept_again()


def _valid_nick(name: bytes) -> bool:
    try:
        text = name.decode()
    except UnicodeDecodeError:
        return False
    return 0 < len(text) <= NICK_MAX and text.isprintable() and " " not in text


def main(argv: list[str] | None = None) -> int:
    p = parser("Chat server: every line from a client goes to all clients (port env CHAT_PORT).", "CHAT_PORT", 50004)
    p.add_argument(
        "--heartbeat",
        type=float,
        default=env_number("CHAT_HEARTBEAT", 60.0),
        help="idle seconds before `Server running at ...` (env CHAT_HEARTBEAT, default 60)",
    )
    p.add_argument(
        "--max-line",
        type=int,
        default=int(env_number("CHAT_MAX_LINE", 1 << 16)),
        help="longest message in bytes; longer lines are refused (env CHAT_MAX_LINE, default 64 KiB)",
    )
    p.add_argument(
        "--max-output",
        type=int,
        default=int(env_number("CHAT_MAX_OUTPUT", 1 << 20)),
        help="unread bytes a client may owe before it is dropped (env CHAT_MAX_OUTPUT, default 1 MiB)",
    )
    p.add_argument(
        "--extras",
        action="store_true",
        default=os.environ.get("CHAT_EXTRAS", "") not in ("", "0"),
        help="announce joins and leaves, accept `/nick NAME` (env CHAT_EXTRAS=1; off: the course's protocol)",
    )
    args = parse(p, argv)
    fd_limit = raise_fd_limit()
    handle_signals()
    with listen("chat_server", args.host, args.port) as listener:
        log(f"chat_server listening on port {args.port} (open-file limit {fd_limit})")
        try:
            server = ChatServer(listener, args.prefix.encode(), args.max_line, args.max_output, args.extras)
            server.run(args.heartbeat)
        except Shutdown:
            log("chat_server shutting down")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
