"""One-shot echo server (course week 1): per connection one read, one reply `PREFIX: data`, then close.

Each connection is served in its own thread with a timeout, so a client that connects and never sends cannot
stall the others (the course's server blocked in recv for everyone).
"""

import socket
import threading

from stacklab_echo.runtime import (
    Acceptor,
    Shutdown,
    env_number,
    handle_signals,
    listen,
    log,
    parse,
    parser,
    peer,
    printable,
)

NEWLINE = b"\r\n"  # stripped from the end of logged data, as the course printed it
RECV_SIZE = 1024  # the course's single recv: longer messages are truncated, by design
MAX_HANDLERS = 512  # connections served at once; beyond this a new connection is closed unanswered
DRAIN_LIMIT = 1 << 20  # bytes of unread input swallowed before closing, see _close_gently


def main(argv: list[str] | None = None) -> int:
    p = parser("One-shot TCP echo server (port env ECHO_PORT).", "ECHO_PORT", 50000)
    p.add_argument(
        "--timeout",
        type=float,
        default=env_number("ECHO_TIMEOUT", 10.0),
        help="seconds a client may take to send its message (env ECHO_TIMEOUT, default 10)",
    )
    args = parse(p, argv)
    prefix = args.prefix.encode() + b": "
    handle_signals()
    with listen("echo_server", args.host, args.port) as server:
        log(f"echo_server listening on port {args.port}")
        slots = threading.BoundedSemaphore(MAX_HANDLERS)
        accept = Acceptor(server)
        try:
            while True:
                if not (accepted := accept()):
                    continue
                conn, addr = accepted
                if not slots.acquire(blocking=False):
                    log(f"from {peer(addr)!r}: refused, {MAX_HANDLERS} connections already being served")
                    conn.close()
                    continue
                client = (conn, peer(addr), prefix, args.timeout, slots)
                threading.Thread(target=_serve, args=client, daemon=True).start()
        except Shutdown:
            log("echo_server shutting down")
    return 0


def _serve(conn: socket.socket, addr: tuple, prefix: bytes, timeout: float, slots: threading.BoundedSemaphore) -> None:
    try:
        with conn:
            conn.settimeout(timeout)
            try:
                data = conn.recv(RECV_SIZE)
                if data:
                    conn.sendall(prefix + data)
                log(f"from {addr!r}: {printable(data.rstrip(NEWLINE))}")
                _close_gently(conn)
            except TimeoutError:
                log(f"from {addr!r}: nothing received within {timeout:g} s, closing")
            except OSError as exc:  # reset, broken pipe: this client only
                log(f"from {addr!r}: {exc.strerror or exc}")
    finally:
        slots.release()


def _close_gently(conn: socket.socket) -> None:
    """Send FIN after the reply, then swallow what the client still sends before closing.

    Closing a socket with unread input makes the kernel send RST, which can destroy the reply before the client
    reads it (a message longer than RECV_SIZE). Reading the rest, bounded in bytes and time, avoids that.
    """
    try:
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(1.0)
        drained = 0
        while drained < DRAIN_LIMIT:
            chunk = conn.recv(65536)
            if not chunk:
                return
            drained += len(chunk)
    except OSError:  # timeout or reset: the reply is out, nothing more to save
        return


if __name__ == "__main__":
    raise SystemExit(main())
