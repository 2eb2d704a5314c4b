"""Repeat-echo client (course week 2): connect once, then prompt `> `, send the line, print the reply.

An empty line (or end of input) closes the connection and exits. Like the course's client it reads one chunk of
at most 1024 bytes per line sent, so a long message's later chunks show up after later prompts.
"""

import argparse
import os
import socket
import sys

RECV_SIZE = 1024


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Interactive client of the repeat-echo server.")
    p.add_argument("host", nargs="?", default="localhost")
    p.add_argument("port", nargs="?", type=int, default=int(os.environ.get("RECHO_PORT") or 50002))
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each reply")
    args = p.parse_args(argv)

    try:
        sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    except OSError as exc:
        print(f"recho: {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    with sock:
        print(f"Connection accepted by ({args.host},{args.port})", flush=True)
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
