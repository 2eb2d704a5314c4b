"""One-shot echo server (course week 1): per connection one read, one reply `PREFIX: data`, then close.

Each connection is served in its own thread with a timeout, so a client that connects and never sends cannot
stall the others (the course's server blocked in recv for everyone). Handlers are capped, in all and per client
address (stacklab_core.crowd); past a cap, the connection that has waited longest without sending a byte (of the
newcomer's address first) is evicted to make room, so a flood of silent connections costs the flooder its oldest
connections, not everyone else their answer. After its reply a
handler lingers for at most LINGER_SECONDS in all, however slowly the client keeps trickling bytes.
On SIGTERM (a deploy's restart) it stops accepting and lets the exchanges under way finish (FINISH_SECONDS);
with systemd's socket activation new clients wait in the socket's queue for the next server meanwhile.
"""

import contextlib
import socket
import threading
import time

from stacklab_core.crowd import PER_ADDRESS, Room
from stacklab_core.runtime import (
    Shutdown,
    close_gently,
    connections,
    env_flag,
    listening,
    log,
    parse,
    parser,
    printable,
)

NEWLINE = b"\r\n"  # stripped from the end of logged data, as the course printed it
RECV_SIZE = 1024  # the course's single recv: longer messages are truncated, by design
MAX_HANDLERS = 512  # connections served at once; beyond this the oldest silent one is evicted
DRAIN_LIMIT = 1 << 20  # bytes of unread input swallowed before closing (close_gently)
LINGER_SECONDS = 2.0  # total time to send the reply and swallow what follows it
FINISH_SECONDS = 3.0  # on SIGTERM, how long the connections being served get to receive their answers


class Handlers:
    """At most `limit` connections served at once, and which of them have not sent a byte yet (oldest first)."""

    def __init__(self, limit: int, per_address: int):
        self.limit = limit
        self.slots = threading.BoundedSemaphore(limit)
        self.lock = threading.Lock()
        self.silent: Room[socket.socket] = Room(limit, per_address)
        self.addresses: dict[socket.socket, tuple] = {}

    def admit(self, conn: socket.socket, addr: tuple) -> bool:
        """Take a slot for `conn` and count it silent, evicting the oldest silent connection (of its address when
        that one holds per_address) if a cap is reached; False if every slot is answering (each for a bounded time)."""
        free = self.slots.acquire(blocking=False)
        with self.lock:
            evicted = self.silent.make_room(addr[0], full=not free)
            if not free and evicted is None:
                return False
            self.silent.enter(conn, addr[0], time.monotonic())
            self.addresses[conn] = addr
            if evicted is not None:
                oldest, why = evicted
                gone = self.addresses.pop(oldest)
        if evicted is not None:
            if free:  # the evicted handler leaves its slot to the newcomer (see spoke): the free one goes back
                self.slots.release()
            log(f"from {gone!r}: evicted, silent, the {why}")
            with contextlib.suppress(OSError):  # wakes its handler's recv with end of file
                oldest.shutdown(socket.SHUT_RDWR)
        return True

    def finish(self, seconds: float) -> int:
        """Wait up to `seconds` for the connections being served to get their answers; return how many did not."""
        deadline = time.monotonic() + seconds
        taken = 0
        while taken < self.limit and self.slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
            taken += 1
        return self.limit - taken

    def spoke(self, conn: socket.socket) -> bool:
        """The handler got its data (or its timeout): False if the connection was evicted meanwhile."""
        with self.lock:
            silent = conn in self.silent
            self.silent.leave(conn)
            self.addresses.pop(conn, None)
            return silent


def main(argv: list[str] | None = None) -> int:
    p = parser("One-shot TCP echo server (port env ECHO_PORT).", "ECHO_PORT", 50000)
    env_flag(p, "--timeout", "ECHO_TIMEOUT", 10.0, "seconds a client may take to send its message")
    what = "silent clients at once from one address; one more evicts that address's oldest"
    env_flag(p, "--per-address", "ECHO_PER_ADDRESS", PER_ADDRESS, what)
    args = parse(p, argv)
    prefix = args.prefix.encode() + b": "
    with listening("echo_server", args.host, args.port) as server:
        handlers = Handlers(MAX_HANDLERS, args.per_address)
        try:
            for conn, addr in connections(server):
                if not handlers.admit(conn, addr):
                    log(f"from {addr!r}: refused, {MAX_HANDLERS} connections already being answered")
                    conn.close()
                    continue
                client = (conn, addr, prefix, args.timeout, handlers)
                try:
                    threading.Thread(target=_serve, args=client, daemon=True).start()
                except RuntimeError:  # no thread to be had (the container's or unit's task limit): this client only
                    handlers.spoke(conn)
                    handlers.slots.release()
                    log(f"from {addr!r}: refused, no thread left to answer it")
                    conn.close()
        except Shutdown:  # exchanges under way end first: a restart cuts no client's answer short
            log("echo_server shutting down")
            if unfinished := handlers.finish(FINISH_SECONDS):
                log(f"echo_server: {unfinished} client(s) still silent, closed")
    return 0


def _serve(conn: socket.socket, addr: tuple, prefix: bytes, timeout: float, handlers: Handlers) -> None:
    with conn:
        conn.settimeout(timeout)
        try:
            data = conn.recv(RECV_SIZE)
            problem = ""
        except TimeoutError:
            data, problem = b"", f"nothing received within {timeout:g} s, closing"
        except OSError as exc:  # reset: this client only
            data, problem = b"", exc.strerror or str(exc)
        if not handlers.spoke(conn):  # evicted while silent: logged, and its slot is the newcomer's now
            return
        try:
            if problem:
                log(f"from {addr!r}: {problem}")
                return
            deadline = time.monotonic() + LINGER_SECONDS
            if data:
                conn.settimeout(LINGER_SECONDS)
                conn.sendall(prefix + data)
            log(f"from {addr!r}: {printable(data.rstrip(NEWLINE))}")
            close_gently(conn, deadline, DRAIN_LIMIT)  # a message longer than RECV_SIZE must not reset the reply
        except OSError as exc:  # reset, broken pipe, a reply it does not read: this client only
            log(f"from {addr!r}: {exc.strerror or exc}")
        finally:
            handlers.slots.release()


if __name__ == "__main__":
    raise SystemExit(main())
