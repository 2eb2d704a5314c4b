"""Concurrent echo server on `selectors` (course weeks 2-3, `echo_server_select.py`).

One thread serves any number of clients: each chunk a client sends comes back to that client only, as
`PREFIX: data`. After ECHO_HEARTBEAT seconds without any event it logs `Server running at <datetime>`.

Modern fixes: it never reads stdin (the course's version stopped on any stdin line, so it died at once under
Docker or nohup); SIGTERM/SIGINT stop it; sends are nonblocking with a bounded output buffer per client, so a
client that never reads its echoes is dropped instead of stalling everyone.
"""

import datetime
import errno
import selectors
import socket

from stacklab_echo.runtime import (
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

NEWLINE = b"\r\n"  # stripped from the end of logged data, as the course printed it
RECV_SIZE = 1024  # the course's bufsize; each chunk is echoed with its own prefix
OUT_OF_FDS = (errno.EMFILE, errno.ENFILE)


class Client:
    __slots__ = ("addr", "events", "out", "reading", "sock")

    def __init__(self, sock: socket.socket, addr: tuple):
        self.sock: socket.socket | None = sock
        self.addr = addr
        self.out = bytearray()  # echoes not yet accepted by the kernel
        self.events = selectors.EVENT_READ
        self.reading = True  # False once the client has half-closed: deliver what it is owed, then close


class SelectEchoServer:
    def __init__(self, listener: socket.socket, prefix: bytes, max_output: int):
        self.listener = listener
        self.prefix = prefix
        self.max_output = max_output
        self.selector = selectors.DefaultSelector()
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
        finally:
            for key in list(self.selector.get_map().values()):
                if key.data is not None:
                    key.fileobj.close()
            self.selector.close()

    def _accept(self) -> None:
        while True:  # take every pending connection: bursts of connects are the normal case
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
                log(f"accept failed: {exc}")  # e.g. the client reset before we accepted it
                continue
            sock.setblocking(False)
            client = Client(sock, peer(addr))
            self.selector.register(sock, selectors.EVENT_READ, client)
            log(f"accepted connection from {client.addr!r}")

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
        if data:
            log(f"{client.addr!r}: {printable(data.rstrip(NEWLINE))}")
            client.out += self.prefix + data
        else:
            client.reading = False
        self._flush(client)

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
        log(f"closed connection from {client.addr!r}{reason}")
        self._accept_again()


def main(argv: list[str] | None = None) -> int:
    p = parser("Concurrent select-based TCP echo server (port env ECHO_SELECT_PORT).", "ECHO_SELECT_PORT", 50003)
    p.add_argument(
        "--heartbeat",
        type=float,
        default=env_number("ECHO_HEARTBEAT", 10.0),
        help="idle seconds before `Server running at ...` (env ECHO_HEARTBEAT, default 10)",
    )
    p.add_argument(
        "--max-output",
        type=int,
        default=int(env_number("ECHO_MAX_OUTPUT", 1 << 20)),
        help="unread bytes a client may owe before it is dropped (env ECHO_MAX_OUTPUT, default 1 MiB)",
    )
    args = parse(p, argv)
    fd_limit = raise_fd_limit()
    handle_signals()
    with listen("echo_server", args.host, args.port) as listener:
        log(f"echo_server listening on port {args.port} (select; open-file limit {fd_limit})")
        try:
            SelectEchoServer(listener, args.prefix.encode() + b": ", args.max_output).run(args.heartbeat)
        except Shutdown:
            log("echo_server shutting down")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
