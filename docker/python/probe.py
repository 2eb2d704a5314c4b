#!/opt/venv/bin/python
"""Container healthcheck: one real exchange with the service on 127.0.0.1, exit 0 when it answers as it should.

    stacklab-probe echo PORT        send a line, expect it back behind the prefix (echo, recho, select echo)
    stacklab-probe chat PORT        join and leave (half-close); the server must notice and close the connection
    stacklab-probe http PORT PATH   GET PATH, expect 200 (the apps' /healthz checks what they depend on)

The message says what failed; Docker keeps it in `docker inspect` (State.Health.Log).
"""

import socket
import sys
import urllib.error
import urllib.request

TIMEOUT = 3.0
MESSAGE = b"healthcheck"


def echo(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as conn:
        conn.sendall(MESSAGE)
        reply = b""
        while MESSAGE not in reply:
            chunk = conn.recv(4096)
            if not chunk:
                break
            reply += chunk
    if MESSAGE not in reply:
        raise RuntimeError(f"port {port} replied {reply[:200]!r}, without the message sent")
    return reply.decode(errors="replace").strip()


def chat(port: int) -> str:
    """A message would reach every chat user every few seconds; leaving says as much about the event loop."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as conn:
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(4096):  # only other users' messages can arrive before the close
            pass
    return "joined, left, and the server closed the connection"


def http(port: int, path: str) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=TIMEOUT) as resp:
            return f"{resp.status} {resp.read(200).decode(errors='replace').strip()}"
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"GET {path} on port {port}: {exc.code} {exc.read(200).decode(errors='replace')}") from exc


def main(argv: list[str]) -> int:
    try:
        kind, port = argv[0], int(argv[1])
        if kind == "echo":
            print(echo(port))
        elif kind == "chat":
            print(chat(port))
        elif kind == "http":
            print(http(port, argv[2]))
        else:
            raise ValueError(f"unknown probe {kind!r}")
    except (IndexError, ValueError) as exc:
        print(f"usage: stacklab-probe echo|chat PORT | http PORT PATH ({exc})")
        return 2
    except (OSError, RuntimeError) as exc:
        print(f"unhealthy: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
