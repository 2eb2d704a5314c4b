"""The connection loop the three hand-written HTTP servers share.

One request per connection (HTTP/1.0 style, `Connection: close`), as in the course. Unlike the course:
- each connection runs in its own thread, at most `max_clients` at once, so one slow client cannot block others;
- reads have a deadline, and one bad request gets an error status instead of killing the server;
- SIGTERM and SIGINT stop it cleanly (exit 0); stdin is never read, so it runs detached under Docker or systemd.
"""

import argparse
import contextlib
import errno
import os
import selectors
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from .wire import HttpError, Request, parse_head, printable, read_head, response_head

DEFAULT_PREFIX = "uw-student"
LINGER_SECONDS = 2.0  # after answering, keep reading (and discarding) briefly so unread input doesn't cause a RST
LINGER_BYTES = 16 * 1024 * 1024
STOP_GRACE_SECONDS = 3.0
OUT_OF_FDS = (errno.EMFILE, errno.ENFILE)
ACCEPT_BACKOFF = 0.1  # seconds between accept attempts while out of file descriptors

_log_lock = threading.Lock()


def log(line: str) -> None:
    """One line to stdout, flushed at once (Docker and journald collect it)."""
    with _log_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    file: BinaryIO | None = None  # when set, streamed instead of body; length is then required
    length: int | None = None


Handler = Callable[[Request], Response]


def text_response(status: int, text: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, text.encode(), headers=headers or [])


def common_arguments(description: str, port_env: str, default_port: int) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--port", type=int, default=os.environ.get(port_env) or default_port, help=f"TCP port (env {port_env})"
    )
    parser.add_argument(
        "--host", default=os.environ.get("BIND_HOST") or "0.0.0.0", help="bind address (env BIND_HOST; 0.0.0.0)"
    )
    parser.add_argument(
        "--prefix",
        default=os.environ.get("ECHO_PREFIX") or DEFAULT_PREFIX,
        help=f"the student's name shown in pages (env ECHO_PREFIX; {DEFAULT_PREFIX})",
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds a client has to send its request head (10)"
    )
    parser.add_argument("--max-clients", type=int, default=32, help="connections handled at once; more get 503 (32)")
    return parser


class HttpServer:
    def __init__(
        self,
        name: str,
        handle: Handler,
        args: argparse.Namespace,
        server_header: str | None = None,
        reasons: dict[int, str] | None = None,
    ):
        self.name = name
        self.handle = handle
        self.args = args
        self.server_header = server_header
        self.reasons = reasons or {}
        self._slots = threading.BoundedSemaphore(args.max_clients)
        self._workers: set[threading.Thread] = set()
        self._wake_r, self._wake_w = socket.socketpair()
        self._stop_signal = ""
        self._accept_paused = False

    def serve_forever(self) -> int:
        family = socket.AF_INET6 if ":" in self.args.host else socket.AF_INET
        try:
            listener = socket.create_server((self.args.host, self.args.port), family=family, backlog=64)
        except OSError as exc:  # port taken, bad address: one clear line, not a traceback
            where = f"{self.args.host} port {self.args.port}"
            print(f"{self.name} cannot listen on {where}: {exc.strerror or exc}", file=sys.stderr, flush=True)
            return 1
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        log(f"{self.name} listening on port {self.args.port}")
        with listener, selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._stop_signal:
                for key, _ in selector.select():
                    if key.fileobj is listener:
                        self._accept(listener)
        log(f"{self.name} shutting down ({self._stop_signal})")
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for worker in list(self._workers):  # let requests in flight finish, briefly
            worker.join(max(0.0, deadline - time.monotonic()))
        return 0

    def _on_signal(self, signum: int, _frame: object) -> None:
        self._stop_signal = signal.Signals(signum).name
        self._wake_w.send(b"x")  # wakes the selector at once

    def _accept(self, listener: socket.socket) -> None:
        try:
            conn, addr = listener.accept()
        except OSError as exc:
            if exc.errno not in OUT_OF_FDS:  # e.g. the client reset before accept
                log(f"accept failed: {exc}")
                return
            # The client stays queued and the listener readable: returning at once would spin and flood the log.
            if not self._accept_paused:
                log(f"accept paused: {exc.strerror}, retrying every {ACCEPT_BACKOFF:g} s")
                self._accept_paused = True
            time.sleep(ACCEPT_BACKOFF)
            return
        if self._accept_paused:
            log("accept resumed")
            self._accept_paused = False
        if not self._slots.acquire(blocking=False):
            self._refuse(conn, addr)
            return
        worker = threading.Thread(target=self._serve_connection, args=(conn, addr), daemon=True)
        self._workers.add(worker)
        worker.start()

    def _refuse(self, conn: socket.socket, addr: tuple) -> None:
        with conn:
            conn.settimeout(0.5)
            body = b"server busy, try again\n"
            with contextlib.suppress(OSError):  # a busy server does not wait on a refused client
                conn.sendall(response_head(503, "text/plain; charset=utf-8", len(body), [("Retry-After", "1")]) + body)
        log(f'{_peer(addr)} "-" 503 {len(body)}')

    def _serve_connection(self, conn: socket.socket, addr: tuple) -> None:
        try:
            with conn:
                request_line, request, response = self._respond(conn)
                sent = self._send(conn, request, response)
                log(f'{_peer(addr)} "{request_line}" {response.status} {sent}')
                _linger_close(conn)
        except OSError as exc:  # the client went away mid-response: its problem, not the server's
            log(f"{_peer(addr)} connection error: {exc}")
        except Exception:  # a bug in one request must not kill the server
            log(f"{_peer(addr)} internal error: " + traceback.format_exc().replace("\n", " | "))
        finally:
            self._slots.release()
            self._workers.discard(threading.current_thread())

    def _respond(self, conn: socket.socket) -> tuple[str, Request | None, Response]:
        """(request line for the log, the parsed request if any, the response to send)."""
        head = b""
        try:
            head = read_head(conn, self.args.timeout)
            request = parse_head(head)
        except HttpError as exc:
            first_line = (head or exc.received).split(b"\n", 1)[0].rstrip(b"\r")
            return printable(first_line) or "-", None, _error(exc)
        try:
            response = self.handle(request)
        except HttpError as exc:
            response = _error(exc)
        except Exception:  # a handler bug gets a 500, not a dead thread
            log("handler error: " + traceback.format_exc().replace("\n", " | "))
            response = text_response(500, "500 internal server error\n")
        return printable(request.line), request, response

    def _send(self, conn: socket.socket, request: Request | None, response: Response) -> int:
        """Write the response; returns the number of body bytes sent (0 for HEAD)."""
        conn.settimeout(self.args.timeout)
        headers = list(response.headers)
        if self.server_header:
            headers.insert(0, ("Server", self.server_header))
        length = response.length if response.file is not None else len(response.body)
        head = response_head(response.status, response.content_type, length, headers, self.reasons.get(response.status))
        if request is not None and request.method == "HEAD":
            conn.sendall(head)
            return 0
        if response.file is not None:
            with response.file:
                conn.sendall(head)
                return conn.sendfile(response.file)
        conn.sendall(head + response.body)
        return len(response.body)


def _error(exc: HttpError) -> Response:
    return text_response(exc.status, f"{exc.status} {exc.message}\n")


def _linger_close(conn: socket.socket) -> None:
    # Closing with unread input makes the kernel send RST, which can destroy the response before the client reads it.
    try:
        conn.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + LINGER_SECONDS
        drained = 0
        while drained < LINGER_BYTES and (remaining := deadline - time.monotonic()) > 0:
            conn.settimeout(remaining)
            chunk = conn.recv(65536)
            if not chunk:
                break
            drained += len(chunk)
    except OSError:
        pass


def _peer(addr: tuple) -> str:
    return f"{addr[0]}:{addr[1]}"
