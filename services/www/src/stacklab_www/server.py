"""The connection loop the three hand-written HTTP servers share.

One request per connection (HTTP/1.0 style, `Connection: close`), as in the course. Unlike the course:
- one thread reads every request head with `selectors` (the course's week-3 tool), so a client that is slow to
  send its head, or sends nothing, costs a socket and a few KiB, never a worker; a head must be complete within
  `--timeout` seconds in all (else 408), and when `--max-connections` heads are being read, or `--per-address`
  from the newcomer's address, the oldest of them (the slowest: it has had the most time) is dropped to make room
  (stacklab_core.crowd);
- complete requests go to a pool of `--max-clients` worker threads that answer them, so one slow response
  cannot block the others; a bad request gets an error status instead of killing the server;
- SIGTERM and SIGINT stop it cleanly (exit 0): it stops accepting, answers the requests it has begun to read and
  those in flight (STOP_GRACE_SECONDS), then exits; stdin is never read, so it runs detached under Docker or systemd;
- under systemd it takes the listening socket from a socket unit (stacklab_core.runtime.inherited_listener): the
  socket outlives a restart, so a client that connects during a deploy waits in its queue instead of being refused.
Stop signals, the wake-up byte, the listener and the log are stacklab_core.runtime's, as for the socket servers.
"""

import argparse
import os
import queue
import selectors
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from stacklab_core.crowd import PER_ADDRESS, Room
from stacklab_core.logs import access_line, request_id
from stacklab_core.runtime import (
    DEFAULT_PREFIX,
    OUT_OF_FDS,
    AcceptBackoff,
    close_gently,
    listening,
    log,
    stop_signal,
    wakeup_socket,
)

from .wire import HttpError, Request, complete_head, parse_head, printable, response_head

LINGER_SECONDS = 2.0  # after answering, keep reading (and discarding) briefly so unread input doesn't cause a RST
LINGER_BYTES = 16 * 1024 * 1024
STOP_GRACE_SECONDS = 3.0


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
        "--timeout", type=float, default=5.0, help="seconds a client has in all to send its request head (5)"
    )
    parser.add_argument(
        "--max-clients", type=int, default=32, help="worker threads: requests answered at once; more queue (32)"
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=1024,
        help="request heads read at once; one more drops the oldest (1024)",
    )
    parser.add_argument(
        "--per-address",
        type=int,
        default=PER_ADDRESS,
        help=f"request heads read at once from one address; one more drops its oldest ({PER_ADDRESS})",
    )
    return parser


@dataclass
class Reading:
    """A connection whose request head is still arriving."""

    addr: tuple
    deadline: float
    data: bytearray = field(default_factory=bytearray)


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
        self._reading: dict[socket.socket, Reading] = {}
        self._room: Room[socket.socket] = Room(args.max_connections, args.per_address)  # accept (deadline) order
        self._work: queue.SimpleQueue = queue.SimpleQueue()  # (conn, addr, head or HttpError), None to stop
        self._workers: list[threading.Thread] = []
        self._backoff = AcceptBackoff()

    def serve_forever(self) -> int:
        listener = listening(self.name, self.args.host, self.args.port)  # exits 1 when it cannot listen
        for _ in range(self.args.max_clients):
            worker = threading.Thread(target=self._work_loop, daemon=True)
            worker.start()
            self._workers.append(worker)
        wake = wakeup_socket()
        with listener, selectors.DefaultSelector() as selector:
            listener.setblocking(False)
            selector.register(listener, selectors.EVENT_READ)
            selector.register(wake, selectors.EVENT_READ)
            stop_by = 0.0  # once stopping: heads being read still get their answer, until this time
            while True:
                if stop_signal():  # noted by the handler at any moment, also just before this check
                    if not stop_by:  # new clients wait in the (systemd's) queue from now on
                        selector.unregister(listener)
                        selector.unregister(wake)  # it stays readable: it did its job
                        stop_by = time.monotonic() + STOP_GRACE_SECONDS
                    if not self._reading or time.monotonic() >= stop_by:
                        break
                timeout = None
                if self._reading:
                    timeout = max(0.0, next(iter(self._reading.values())).deadline - time.monotonic())
                if stop_by:
                    timeout = max(
                        0.0, min(timeout if timeout is not None else STOP_GRACE_SECONDS, stop_by - time.monotonic())
                    )
                for key, _ in selector.select(timeout):
                    if key.fileobj is listener:
                        self._accept(listener, selector)
                    elif key.fileobj in self._reading:  # not dropped earlier in this round
                        self._read(key.fileobj, key.data, selector)
                self._expire(selector)
            for conn in self._reading:
                conn.close()
        log(f"{self.name} shutting down ({stop_signal()})")
        for _ in self._workers:
            self._work.put(None)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for worker in self._workers:  # let requests in flight finish, briefly
            worker.join(max(0.0, deadline - time.monotonic()))
        return 0

    def _accept(self, listener: socket.socket, selector: selectors.BaseSelector) -> None:
        while True:  # every pending connection: bursts of connects are the normal case
            try:
                conn, addr = listener.accept()
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno not in OUT_OF_FDS:  # e.g. the client reset before accept
                    log(f"accept failed: {exc}")
                    return
                if oldest := self._room.oldest():  # the slowest head reader gives its descriptor to the newcomer
                    self._drop(oldest[0], "out of file descriptors", selector)
                    continue
                self._backoff.wait(exc)
                return
            self._backoff.accepted()
            if dropped := self._room.make_room(addr[0]):
                self._drop(*dropped, selector)
            conn.setblocking(False)
            now = time.monotonic()
            reading = Reading(addr, now + self.args.timeout)
            self._reading[conn] = reading
            self._room.enter(conn, addr[0], now)
            selector.register(conn, selectors.EVENT_READ, reading)

    def _read(self, conn: socket.socket, reading: Reading, selector: selectors.BaseSelector) -> None:
        try:
            chunk = conn.recv(4096)
        except BlockingIOError:
            return
        except OSError as exc:  # reset before its request was complete
            self._forget(conn, selector)
            conn.close()
            log(f"{_peer(reading.addr)} connection error: {exc}")
            return
        reading.data += chunk
        try:
            if not chunk:
                message = "connection closed before the end of the request head" if reading.data else "empty request"
                raise HttpError(400, message, bytes(reading.data))
            head = complete_head(bytes(reading.data))
        except HttpError as exc:
            self._forget(conn, selector)
            self._work.put((conn, reading.addr, exc))
            return
        if head is not None:
            self._forget(conn, selector)
            self._work.put((conn, reading.addr, head))

    def _expire(self, selector: selectors.BaseSelector) -> None:
        now = time.monotonic()
        while self._reading:
            conn, reading = next(iter(self._reading.items()))
            if reading.deadline > now:
                return
            self._forget(conn, selector)
            self._work.put((conn, reading.addr, HttpError(408, "timed out reading the request", bytes(reading.data))))

    def _drop(self, conn: socket.socket, why: str, selector: selectors.BaseSelector) -> None:
        """Close a connection that has had the most time to send its head and still has not: no answer, since
        writing to it could block the loop."""
        addr = self._reading[conn].addr
        self._forget(conn, selector)
        conn.close()
        log(f'{_peer(addr)} "-" dropped: slowest head, {why}')

    def _forget(self, conn: socket.socket, selector: selectors.BaseSelector) -> None:
        selector.unregister(conn)
        del self._reading[conn]
        self._room.leave(conn)

    def _work_loop(self) -> None:
        while (item := self._work.get()) is not None:
            self._serve_connection(*item)

    def _serve_connection(self, conn: socket.socket, addr: tuple, head: bytes | HttpError) -> None:
        started = time.monotonic()
        try:
            with conn:
                conn.setblocking(True)
                request_line, request, response = self._respond(head)
                # Its own front: the request id is the client's if sane, else a new one, sent back and logged.
                headers = request.headers if request else {}
                rid = request_id(headers.get("x-request-id"))
                sent = self._send(conn, request, response, [("X-Request-ID", rid)])
                ms = int((time.monotonic() - started) * 1000)
                log(access_line(addr[0], request_line, response.status, sent, headers, ms, rid))
                close_gently(conn, time.monotonic() + LINGER_SECONDS, LINGER_BYTES)
        except OSError as exc:  # the client went away mid-response: its problem, not the server's
            log(f"{_peer(addr)} connection error: {exc}")
        except Exception:  # a bug in one request must not kill the server
            log(f"{_peer(addr)} internal error: " + traceback.format_exc().replace("\n", " | "))

    def _respond(self, head: bytes | HttpError) -> tuple[str, Request | None, Response]:
        """(request line for the log, the parsed request if any, the response to send)."""
        try:
            if isinstance(head, HttpError):
                raise head
            request = parse_head(head)
        except HttpError as exc:
            received = head.received if isinstance(head, HttpError) else head
            first_line = received.split(b"\n", 1)[0]
            return printable(first_line.rstrip(b"\r")) or "-", None, _error(exc)
        try:
            response = self.handle(request)
        except HttpError as exc:
            response = _error(exc)
        except Exception:  # a handler bug gets a 500, not a dead thread
            log("handler error: " + traceback.format_exc().replace("\n", " | "))
            response = text_response(500, "500 internal server error\n")
        return printable(request.line), request, response

    def _send(self, conn: socket.socket, request: Request | None, response: Response, extra: list) -> int:
        """Write the response with `extra` headers too; returns the number of body bytes sent (0 for HEAD)."""
        conn.settimeout(self.args.timeout)
        headers = [*response.headers, *extra]
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


def _peer(addr: tuple) -> str:
    return f"{addr[0]}:{addr[1]}"
