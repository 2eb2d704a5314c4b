"""Chat client (course week 4): multiplexes stdin and the server socket with `selectors`.

Each non-empty line typed is sent as one newline-terminated message; an empty line quits. Messages from the server
are printed as they arrive, whatever the user is doing. Modern fixes: when the server goes away the client says so
and exits with status 1 (the course's client spun forever printing blank lines). At the end of piped input it
stops sending, waits for the server to deliver what is still on its way, then exits with status 0.
"""

import contextlib
import os
import selectors
import socket
import sys

from stacklab_echo.client_cli import client_parser, connect

RECV_SIZE = 65536
PROMPT = "> "


class ChatClient:
    def __init__(self, sock: socket.socket, stdin_fd: int | None):
        self.sock = sock
        self.stdin_fd = stdin_fd  # None when the process has no stdin at all: it only listens
        self.sending = True
        self.typed = bytearray()  # what was read from stdin, up to its next newline
        self.received = bytearray()  # what came from the server, up to its next newline
        self.tty = sys.stdout.isatty()

    def run(self) -> int:
        with selectors.DefaultSelector() as selector:
            selector.register(self.sock, selectors.EVENT_READ)
            if self.stdin_fd is None:
                self._stop_sending()
            else:
                selector.register(self.stdin_fd, selectors.EVENT_READ)
            self._prompt()
            while True:  # blocks in select: no timeout is needed, nothing happens between events
                for key, _ in selector.select():
                    status = self._from_server() if key.fileobj is self.sock else self._from_stdin(selector)
                    if status is not None:
                        return status

    def _from_server(self) -> int | None:
        try:
            data = self.sock.recv(RECV_SIZE)
        except OSError as exc:
            return self._gone(exc.strerror or str(exc))
        if not data:
            if self.sending:
                return self._gone("closed the connection")
            self._show(self.received)  # the server closed after our half-close: all delivered
            return 0
        self.received += data
        lines = self.received.split(b"\n")
        self.received[:] = lines.pop()
        if lines:
            text = "\n".join(line.decode(errors="replace") for line in lines)
            # Overwrite the prompt on a terminal, so messages and prompt do not share a line.
            print(("\r" if self.tty else "") + text, flush=True)
            self._prompt()
        return None

    def _from_stdin(self, selector: selectors.BaseSelector) -> int | None:
        try:
            data = os.read(self.stdin_fd, RECV_SIZE)  # not sys.stdin: its buffer would hide lines from select
        except OSError:  # e.g. stdin opened write-only, as nohup leaves it: same as no input
            data = b""
        if not data:  # end of input
            selector.unregister(self.stdin_fd)
            self._stop_sending()
            return None
        self.typed += data
        lines = self.typed.split(b"\n")
        self.typed[:] = lines.pop()
        for line in lines:
            line = line.removesuffix(b"\r")
            if not line:
                return 0
            try:
                self.sock.sendall(line + b"\n")
            except OSError as exc:
                return self._gone(exc.strerror or str(exc))
            self._prompt()
        return None

    def _stop_sending(self) -> None:
        """No more input: half-close, so the server delivers what it still owes us, then closes."""
        self.sending = False
        with contextlib.suppress(OSError):  # already gone: the next recv reports it
            self.sock.shutdown(socket.SHUT_WR)

    def _gone(self, why: str) -> int:
        self._show(self.received)
        print(f"\nchat: the server {why}", file=sys.stderr, flush=True)
        return 1

    def _show(self, partial: bytearray) -> None:
        if partial:
            print(partial.decode(errors="replace"), flush=True)

    def _prompt(self) -> None:
        print(PROMPT, end="", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = client_parser(
        "Interactive chat client: type lines, an empty line quits.",
        "CHAT_PORT",
        50004,
        10.0,
        "seconds to wait to connect or to send",
    )
    args = p.parse_args(argv)
    sock = connect("chat", args)
    if sock is None:
        return 1
    with sock:
        try:
            return ChatClient(sock, sys.stdin.fileno() if sys.stdin else None).run()
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
