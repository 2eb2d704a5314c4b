"""Repeat-echo server (course week 2): SERIAL on purpose, one client at a time.

It echoes `PREFIX: data` for every chunk a client sends until that client closes, and only then accepts the next
one. Clients that connect meanwhile wait in the kernel's backlog: their connect succeeds but nothing answers them.
That is the course's lesson (week 3 `lab_recho.txt`), kept as the contrast with the select server.

Modern fixes: replies go out with sendall; a reset, binary data or a huge input only ends that client's turn; an
idle client loses its turn after RECHO_IDLE_TIMEOUT seconds (default 300), so nobody holds the server forever.
Stopped (SIGTERM, e.g. a deploy's restart), it tells the client in its turn so in a last line and closes cleanly;
clients still queued stay in the listening socket's queue when systemd holds it (socket activation).
"""

import socket

from stacklab_core.runtime import (
    SHUTTING_DOWN,
    Shutdown,
    connections,
    env_flag,
    farewell,
    listening,
    log,
    parse,
    parser,
    recv_within,
    sendall_within,
)

STOP_GRACE_SECONDS = 0.5  # after SIGTERM, the client in its turn is still echoed until silent this long
RECV_SIZE = 1024  # the course's bufsize: a long message is echoed chunk by chunk, each chunk with its own prefix


def main(argv: list[str] | None = None) -> int:
    p = parser("Serial repeat-echo TCP server (port env RECHO_PORT).", "RECHO_PORT", 50002)
    env_flag(p, "--idle-timeout", "RECHO_IDLE_TIMEOUT", 300.0, "seconds a silent client keeps its turn")
    args = parse(p, argv)
    prefix = args.prefix.encode() + b": "
    with listening("recho_server", args.host, args.port) as server:
        try:
            for conn, addr in connections(server):
                with conn:
                    try:
                        log(f"accepted connection from {addr!r}")
                        reason = _echo_until_closed(conn, prefix, args.idle_timeout)
                    except Shutdown:  # what the client in its turn still sends is echoed; then it is told, not reset
                        _echo_until_closed(conn, prefix, STOP_GRACE_SECONDS, stoppable=False)
                        farewell(conn, SHUTTING_DOWN)
                        log(f"closed connection from {addr!r} (server shutting down)")
                        raise
                    log(f"closed connection from {addr!r}{reason}")
        except Shutdown:
            log("recho_server shutting down")
    return 0


def _echo_until_closed(conn: socket.socket, prefix: bytes, idle_timeout: float, stoppable: bool = True) -> str:
    """Echo every chunk until the peer closes; return why the turn ended, for the log ('' = normal close).
    Shutdown when a stop signal comes (`stoppable`)."""
    try:
        while data := recv_within(conn, RECV_SIZE, idle_timeout, stoppable):
            sendall_within(conn, prefix + data, idle_timeout, stoppable)
    except TimeoutError:
        return f" (idle for {idle_timeout:g} s)"
    except OSError as exc:  # reset or broken pipe: this client is gone
        return f" ({exc.strerror or exc})"
    return ""


if __name__ == "__main__":
    raise SystemExit(main())
