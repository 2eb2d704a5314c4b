"""What the command-line clients share (the echo clients and stacklab_chat's): `[host [port]]` and connecting."""

import argparse
import os
import socket
import sys


def client_parser(
    description: str, port_env: str, default_port: int, timeout: float, timeout_help: str
) -> argparse.ArgumentParser:
    """`[host [port]] [--timeout S]`, as the course's clients took them; the port's default comes from env."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("host", nargs="?", default="localhost")
    p.add_argument("port", nargs="?", type=int, default=int(os.environ.get(port_env) or default_port))
    p.add_argument("--timeout", type=float, default=timeout, help=timeout_help)
    return p


def connect(prog: str, args: argparse.Namespace) -> socket.socket | None:
    """A connection to the server, announced with the course's line; None after saying on stderr why not."""
    try:
        sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    except OSError as exc:
        print(f"{prog}: {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return None
    print(f"Connection accepted by ({args.host},{args.port})", flush=True)
    return sock
