"""One thread, many clients: a `selectors` loop over a listening socket and its nonblocking connections.

The select echo server and the chat server (stacklab_chat, built on it in the course) share this machinery:
accepting every pending connection, pausing accept while out of file descriptors, nonblocking sends with a
bounded output buffer per client (a client that does not read is dropped instead of stalling everyone),
half-close handling and the idle heartbeat. A server subclasses Multiplexer and says what happens to the data.

Bounded on purpose, so that no client can grow the server: at most `max_clients` connections and `per_address`
from one client address (past either, the newcomer evicts the longest-idle connection, of its own address first:
stacklab_core.crowd), at most `max_output` unread bytes each, and a connection with no traffic either way for
`idle_timeout` seconds is closed. Memory for buffers is then at most max_clients x max_output.

Stopped by SIGTERM (a deploy restarts it), it accepts no more, serves what its clients already sent for
STOP_GRACE_SECONDS, then every open connection gets what it is owed and `last_line`, then a clean close (FIN, never a
reset). The listening socket may be systemd's (socket activation, stacklab_core.runtime), which
keeps it open across the restart: new clients wait in its queue meanwhile instead of being refused.
"""

import argparse
import contextlib
import datetime
import selectors
import socket
import time
from collections.abc import Callable

from stacklab_core.crowd import PER_ADDRESS, Room
from stacklab_core.runtime import (
    FAREWELL_SECONDS,
    OUT_OF_FDS,
    SHUTTING_DOWN,
    Shutdown,
    env_flag,
    listening,
    log,
    peer,
    raise_fd_limit,
    stop_signal,
    wakeup_socket,
)

WAKE = object()  # the selector's data for the socket a signal writes to
STOP_GRACE_SECONDS = 0.5  # after SIGTERM, what clients already sent is still served this long, then the last line
SPARE_FDS = 16  # descriptors besides the clients': stdio, the listener, the selector, a refused client


class Connection:
    __slots__ = ("addr", "events", "out", "reading", "sock")

    def __init__(self, sock: socket.socket, addr: tuple):
        self.sock: socket.socket | None = sock  # None once closed
        self.addr = addr
        self.out = bytearray()  # bytes not yet accepted by the kernel
        self.events = selectors.EVENT_READ
        self.reading = True  # False once the client has half-closed: deliver what it is owed, then close


class Multiplexer:
    """The loop and the connection bookkeeping; subclasses fill in the hooks below."""

    recv_size = 65536
    last_line = SHUTTING_DOWN  # what every client still connected reads last when the server stops

    def __init__(self, listener: socket.socket, limits: argparse.Namespace):
        self.listener = listener
        self.max_output = limits.max_output
        self.idle_timeout = limits.idle_timeout
        self.selector = selectors.DefaultSelector()
        self.connections: dict[Connection, None] = {}  # insertion-ordered set of the open connections
        self.room: Room[Connection] = Room(limits.max_clients, limits.per_address)  # the next to time out first
        self.accepting = False
        self.stopping = False  # a signal came: accept no more

    # Hooks.
    def connection(self, sock: socket.socket, addr: tuple) -> Connection:
        """A new connection's object: subclasses may return a subclass of Connection with more state."""
        return Connection(sock, addr)

    def opened(self, conn: Connection) -> None:
        """Called once a connection is accepted and registered."""

    def received(self, conn: Connection, data: bytes) -> None:
        """Called with each chunk a connection sends."""

    def input_ended(self, conn: Connection) -> None:
        """Called when a connection half-closes, before what it is owed is flushed."""

    def round_done(self) -> None:
        """Called after each round of events."""

    def closed(self, conn: Connection) -> None:
        """Called after a connection was closed and logged."""

    # The machinery.
    def run(self, heartbeat: float) -> None:
        self.listener.setblocking(False)
        self._accept_again()
        # SIGTERM/SIGINT (noted by runtime.handle_signals) stop the loop between two rounds, never inside one: an
        # exception raised between a send and the bookkeeping after it would make the last words repeat what the
        # client already got. The wake-up socket makes a signal wake the select.
        self.selector.register(wakeup_socket(), selectors.EVENT_READ, WAKE)
        quiet_since = time.monotonic()
        try:
            stop_at = 0.0  # once stopping: input already on its way is still served until then
            while True:
                if stop_signal() and not stop_at:  # stop accepting: new clients wait in the (systemd's) queue
                    stop_at, self.stopping = time.monotonic() + STOP_GRACE_SECONDS, True
                    if self.accepting:
                        self.selector.unregister(self.listener)
                        self.accepting = False
                if stop_at and time.monotonic() >= stop_at:
                    raise Shutdown(stop_signal())
                wake = stop_at or quiet_since + heartbeat
                if oldest := self.room.oldest():
                    wake = min(wake, oldest[1] + self.idle_timeout)
                events = self.selector.select(timeout=max(0.0, wake - time.monotonic()))
                now = time.monotonic()
                if events:
                    quiet_since = now
                elif now >= quiet_since + heartbeat:
                    log(f"Server running at {datetime.datetime.now()}")
                    quiet_since = now
                self._close_idle(now)
                for key, mask in events:
                    if key.data is None:
                        self._accept()
                        continue
                    if key.data is WAKE:  # a signal: handled at the top of the next round
                        with contextlib.suppress(OSError):
                            key.fileobj.recv(64)
                        continue
                    conn = key.data
                    if conn.sock is None:  # closed earlier in this round, e.g. dropped by a broadcast
                        continue
                    if mask & selectors.EVENT_READ:
                        self._read(conn)
                    if mask & selectors.EVENT_WRITE and conn.sock is not None:
                        self.flush(conn)
                self.round_done()
        finally:  # also reached from a signal in the middle of close(): sock may already be None
            self.selector.close()
            self._farewell([conn for conn in self.connections if conn.sock is not None])

    def _farewell(self, conns: list[Connection]) -> None:
        """Every open connection gets what it is owed and the last line, then FIN; each is closed once its client
        closed too (or after FAREWELL_SECONDS in all), so that no client is reset by unread input on close."""
        deadline = time.monotonic() + FAREWELL_SECONDS
        with selectors.DefaultSelector() as selector:
            for conn in conns:
                conn.out += self.last_line
                selector.register(conn.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, conn)
            while selector.get_map() and (left := deadline - time.monotonic()) > 0:
                for key, mask in selector.select(left):
                    conn = key.data
                    try:
                        if mask & selectors.EVENT_WRITE:
                            del conn.out[: conn.sock.send(conn.out)]
                            if not conn.out:
                                conn.sock.shutdown(socket.SHUT_WR)
                                selector.modify(conn.sock, selectors.EVENT_READ, conn)
                        if mask & selectors.EVENT_READ and not conn.sock.recv(65536):
                            raise ConnectionError("closed")
                    except OSError:  # it closed (the normal end), or reset or left: done with it
                        selector.unregister(conn.sock)
                        conn.sock.close()
            for key in list(selector.get_map().values()):
                key.fileobj.close()

    def flush(self, conn: Connection) -> None:
        """Send what the kernel takes now; drop a client owing more than max_output; close when all is done."""
        try:
            sent = conn.sock.send(conn.out) if conn.out else 0
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            self.close(conn, f" ({exc.strerror or exc})")
            return
        del conn.out[:sent]
        if sent:
            self._active(conn)
        if len(conn.out) > self.max_output:
            self.close(conn, f" (dropped: more than {self.max_output} bytes unread)")
            return
        wanted = (selectors.EVENT_READ if conn.reading else 0) | (selectors.EVENT_WRITE if conn.out else 0)
        if not wanted:
            self.close(conn, "")
        elif wanted != conn.events:
            self.selector.modify(conn.sock, wanted, conn)
            conn.events = wanted

    def close(self, conn: Connection, reason: str) -> None:
        self.selector.unregister(conn.sock)
        conn.sock.close()
        conn.sock = None
        conn.out.clear()
        del self.connections[conn]
        self.room.leave(conn)
        log(f"closed connection from {conn.addr!r}{reason}")
        self.closed(conn)
        self._accept_again()

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
            addr = peer(addr)
            if evicted := self.room.make_room(addr[0]):
                self._evict(*evicted)
            sock.setblocking(False)
            conn = self.connection(sock, addr)
            self.selector.register(sock, selectors.EVENT_READ, conn)
            self.connections[conn] = None
            self.room.enter(conn, addr[0], time.monotonic())
            log(f"accepted connection from {conn.addr!r}")
            self.opened(conn)

    def _evict(self, conn: Connection, why: str) -> None:
        """Make room for a newcomer: one line for the evicted client, if its buffer takes it at once, then close."""
        with contextlib.suppress(OSError):  # its buffer is full or it left: nothing more to tell
            conn.sock.send(f"error: server full, closed as the {why}\n".encode())
        self.close(conn, f" (evicted: {why})")

    def _active(self, conn: Connection) -> None:
        self.room.touch(conn, time.monotonic())

    def _close_idle(self, now: float) -> None:
        while (oldest := self.room.oldest()) and now - oldest[1] >= self.idle_timeout:
            self.close(oldest[0], f" (idle for {self.idle_timeout:g} s)")

    def _accept_again(self) -> None:
        if not self.accepting and not self.stopping:
            self.selector.register(self.listener, selectors.EVENT_READ, None)
            self.accepting = True

    def _read(self, conn: Connection) -> None:
        try:
            data = conn.sock.recv(self.recv_size)
        except BlockingIOError:
            return
        except OSError as exc:
            self.close(conn, f" ({exc.strerror or exc})")
            return
        if data:
            self._active(conn)
            self.received(conn, data)
        else:
            conn.reading = False
            self.input_ended(conn)
            self.flush(conn)


def add_flags(
    p: argparse.ArgumentParser, env_prefix: str, *, heartbeat: float, max_clients: int, max_output: int, idle: float
) -> None:
    """The flags of every multiplexing server, from env `<env_prefix>_...`: --heartbeat and the limits."""
    env_flag(p, "--heartbeat", f"{env_prefix}_HEARTBEAT", heartbeat, "idle seconds before `Server running at ...`")
    what = "unread bytes a client may owe before it is dropped"
    env_flag(p, "--max-output", f"{env_prefix}_MAX_OUTPUT", max_output, what)
    what = "clients at once; one more evicts the longest idle"
    env_flag(p, "--max-clients", f"{env_prefix}_MAX_CLIENTS", max_clients, what)
    what = "clients at once from one address; one more evicts that address's longest idle"
    env_flag(p, "--per-address", f"{env_prefix}_PER_ADDRESS", PER_ADDRESS, what)
    what = "seconds with no traffic before a client is closed"
    env_flag(p, "--idle-timeout", f"{env_prefix}_IDLE_TIMEOUT", idle, what)


def serve(name: str, args: argparse.Namespace, make: Callable[[socket.socket], Multiplexer], mode: str = "") -> int:
    """Lift the open-file limit to what max_clients needs, listen, run until SIGTERM/SIGINT; `mode` goes in the
    start line's parentheses."""
    fd_limit = raise_fd_limit(args.max_clients + SPARE_FDS)
    limits = f"max {args.max_clients} clients ({args.per_address} per address) x {args.max_output} bytes"
    limits += f", idle timeout {args.idle_timeout:g} s"
    with listening(name, args.host, args.port, f" ({mode}open-file limit {fd_limit}; {limits})") as listener:
        try:
            make(listener).run(args.heartbeat)
        except Shutdown:
            log(f"{name} shutting down")
    return 0
