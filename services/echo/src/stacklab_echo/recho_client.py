"""Repeat-echo client (course week 2): connect once, then prompt `> `, send the line, print the reply.

An empty line (or end of input) closes the connection and exits. Like the course's client it reads one chunk of
at most 1024 bytes per line sent, so a long message's later chunks show up after later prompts.
"""

import sys

from stacklab_echo.client_cli import client_parser, connect

RECV_SIZE = 1024


def main(argv: list[str] | None = None) -> int:
    p = client_parser(
        "Interactive client of the repeat-echo server.", "RECHO_PORT", 50002, 30.0, "seconds to wait for each reply"
    )
    args = p.parse_args(argv)
    sock = connect("recho", args)
    if sock is None:
        return 1
    with sock:
        while True:
            try:
                line = input("> ")
            except EOFError:
                return 0
            if not line:
                return 0
            try:
                sock.sendall(line.encode())
                reply = sock.recv(RECV_SIZE)
            except OSError as exc:  # a timeout included: a serial server may be busy with someone else
                print(f"recho: {exc.strerror or exc}", file=sys.stderr)
                return 1
            if not reply:
                print("recho: the server closed the connection", file=sys.stderr)
                return 1
            print(reply.decode(errors="replace"), flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
