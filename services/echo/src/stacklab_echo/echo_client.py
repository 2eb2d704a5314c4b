"""One-shot echo client (course weeks 1-2): send one message, print `from (host,port) reply`."""

import argparse
import os
import socket
import sys

MAX_REPLY = 1 << 20  # the server replies once and closes; read to its close, within reason


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Send one message to the echo server and print its reply.")
    p.add_argument("host", nargs="?", default="localhost")
    p.add_argument("port", nargs="?", type=int, default=int(os.environ.get("ECHO_PORT") or 50000))
    p.add_argument("-m", "--message", help="the message; without it the client prompts `> `")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the server")
    args = p.parse_args(argv)

    message = args.message
    if message is None:
        try:
            message = input("> ")
        except EOFError:
            print("no message given", file=sys.stderr)
            return 1
    try:
        with socket.create_connection((args.host, args.port), timeout=args.timeout) as sock:
            sock.sendall(message.encode())
            reply = _read_to_close(sock)
    except OSError as exc:
        print(f"echo_client: {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"from ({args.host},{args.port}) {reply.decode(errors='replace')}")
    return 0


def _read_to_close(sock: socket.socket) -> bytes:
    chunks, size = [], 0
    while size < MAX_REPLY:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


if __name__ == "__main__":
    raise SystemExit(main())
