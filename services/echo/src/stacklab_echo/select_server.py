"""Concurrent echo server on `selectors` (course weeks 2-3, `echo_server_select.py`).

One thread serves any number of clients: each chunk a client sends comes back to that client only, as
`PREFIX: data`. After ECHO_HEARTBEAT seconds without any event it logs `Server running at <datetime>`.

Modern fixes: it never reads stdin (the course's version stopped on any stdin line, so it died at once under
Docker or nohup); SIGTERM/SIGINT stop it; sends are nonblocking with a bounded output buffer per client, so a
client that never reads its echoes is dropped instead of stalling everyone; clients are capped in number and
closed when idle (see multiplex).
"""

import argparse
import socket

from stacklab_core.runtime import log, parse, parser, printable

from stacklab_echo.multiplex import Connection, Multiplexer, add_flags, serve

NEWLINE = b"\r\n"  # stripped from the end of logged data, as the course printed it


class SelectEchoServer(Multiplexer):
    recv_size = 1024  # the course's bufsize; each chunk is echoed with its own prefix

    def __init__(self, listener: socket.socket, prefix: bytes, limits: argparse.Namespace):
        super().__init__(listener, limits)
        self.prefix = prefix

    def received(self, conn: Connection, data: bytes) -> None:
        log(f"{conn.addr!r}: {printable(data.rstrip(NEWLINE))}")
        conn.out += self.prefix + data
        self.flush(conn)


def main(argv: list[str] | None = None) -> int:
    p = parser("Concurrent select-based TCP echo server (port env ECHO_SELECT_PORT).", "ECHO_SELECT_PORT", 50003)
    # 1,024 clients x 64 KiB unread = 64 MiB of buffers at most; an echo is at most 1,024 bytes plus the prefix.
    add_flags(p, "ECHO", heartbeat=10.0, max_clients=1024, max_output=64 * 1024, idle=300.0)
    args = parse(p, argv)
    prefix = args.prefix.encode() + b": "
    return serve("echo_server", args, lambda listener: SelectEchoServer(listener, prefix, args), "select; ")


if __name__ == "__main__":
    raise SystemExit(main())
