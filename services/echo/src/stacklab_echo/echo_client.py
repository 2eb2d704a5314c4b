"""One-shot echo client (course weeks 1-2): send one message, print `from (host,port) reply`."""

import socket
import sys

from stacklab_echo.client_cli import client_parser

MAX_REPLY = 1 << 20  # the server replies once and closes; read to its close, within reason


def main(argv: list[str] | None = None) -> int:
    p = client_parser(
        "Send one message to the echo server and print its reply.",
        "ECHO_PORT",
        50000,
        10.0,
        "seconds to wait for the server",
    )
    p.add_argument("-m", "--message", help="the message; without it the client prompts `> `")
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
