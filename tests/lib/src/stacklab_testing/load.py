"""Steady load on a deployed lab while a deploy runs: every request is checked and every failure kept.

Used by tests/deploy (zero-downtime assertions) and bench/deploy.py (figures). Standard library only.

    with Load(probes) as load:       # one thread per probe, each looping until the block ends
        ...deploy...
    load.summary()                   # {"flask /": {"ok": 812, "failed": 0, "refused": 0, ...}, ...}
    load.failures                    # [(seconds since start, probe name, what went wrong), ...]

HTTP probes send one request per connection (what a browser's new visitor does) and count a response as good when
its status is the expected one. TCP probes make one exchange with a course socket server per connection. Nothing is
retried: a deploy restarts the socket servers, and with systemd holding their listening sockets (socket units) a
client that connects meanwhile waits for the new server instead of being refused; a refused connection counts as
failed and as `refused`.
"""

import http.client
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


class ProbeFailed(Exception):
    def __init__(self, message: str, refused: bool = False):
        super().__init__(message)
        self.refused = refused  # the server was not there to take the connection


@dataclass
class Probe:
    name: str
    call: Callable[[], str]  # raises ProbeFailed on a bad answer; returns the tallied header's value


@dataclass
class Tally:
    ok: int = 0
    failed: int = 0
    refused: int = 0  # of the failed: connections refused (or reset before any answer)
    headers: dict[str, int] = field(default_factory=dict)  # X-Stacklab-Build values seen -> count


def http_probe(name: str, host: str, port: int, path: str, status: int = 200, tally_header: str = "") -> Probe:
    def call() -> str:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        try:
            conn.request("GET", path, headers={"Connection": "close"})
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise ProbeFailed(f"GET {path}: {exc!r}") from None
        finally:
            conn.close()
        if response.status != status:
            raise ProbeFailed(f"GET {path}: status {response.status}, expected {status}")
        return response.getheader(tally_header, "") if tally_header else ""

    return Probe(name, call)


def tcp_probe(name: str, host: str, port: int, send: bytes, want: bytes, until_close: bool = False) -> Probe:
    """One exchange with a course socket server: connect, send, read the answer (to the peer's close, or until
    `want` can be judged), close. A refused connection is a failure like any other, counted as `refused`."""
    counter = iter(range(1 << 62))

    def call() -> str:
        marker = f"deploy-load-{next(counter)}".encode()
        message, expected = send.replace(b"MSG", marker), want.replace(b"MSG", marker)
        got = b""
        try:
            with socket.create_connection((host, port), timeout=10) as sock:
                sock.sendall(message)
                while (until_close or expected not in got) and (chunk := sock.recv(4096)):
                    got += chunk
        except ConnectionRefusedError as exc:
            raise ProbeFailed(f"{name}: refused: {exc!r}", refused=True) from None
        except OSError as exc:
            raise ProbeFailed(f"{name}: {exc!r}", refused=isinstance(exc, ConnectionResetError)) from None
        if not got:  # through Docker's port proxy a refused connect shows as an empty reply (or a reset)
            raise ProbeFailed(f"{name}: sent {message!r}, got nothing: refused", refused=True)
        if expected not in got:  # chat: other clients' lines (the health gate's) may come before or after
            raise ProbeFailed(f"{name}: sent {message!r}, got {got!r}")
        return ""

    return Probe(name, call)


def tcp_probes(host: str, plan: dict[str, str]) -> list[Probe]:
    """Every course socket server of stack.env: one-shot echo, serial recho, select echo, chat (its only client here,
    it reads its own line back) and the hand-written HTTP server hello_www."""
    reply = f"{plan['ECHO_PREFIX']}: MSG".encode()
    return [
        tcp_probe("echo", host, int(plan["ECHO_PORT"]), b"MSG", reply, until_close=True),
        tcp_probe("recho", host, int(plan["RECHO_PORT"]), b"MSG", reply),
        tcp_probe("select echo", host, int(plan["ECHO_SELECT_PORT"]), b"MSG", reply),
        tcp_probe("chat", host, int(plan["CHAT_PORT"]), b"MSG\n", b": MSG\n"),
        http_probe("hello_www", host, int(plan["HELLO_WWW_PORT"]), "/"),
    ]


class Load:
    def __init__(self, probes: list[Probe], pause: float = 0.02):
        self.probes = probes
        self.pause = pause  # between two requests of one probe: steady, not a flood (2 cores run it all)
        self.tallies = {p.name: Tally() for p in probes}
        self.failures: list[tuple[float, str, str]] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._loop, args=(p,), daemon=True) for p in probes]
        self._lock = threading.Lock()
        self.started = 0.0
        self.seconds = 0.0

    def __enter__(self) -> "Load":
        self.started = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self.seconds = time.monotonic() - self.started

    def _loop(self, probe: Probe) -> None:
        tally = self.tallies[probe.name]
        while not self._stop.is_set():
            try:
                value = probe.call()
                with self._lock:
                    tally.ok += 1
                    if value:
                        tally.headers[value] = tally.headers.get(value, 0) + 1
            except ProbeFailed as exc:
                with self._lock:
                    tally.failed += 1
                    tally.refused += exc.refused
                    self.failures.append((round(time.monotonic() - self.started, 3), probe.name, str(exc)))
            self._stop.wait(self.pause)

    def summary(self) -> dict[str, dict]:
        return {name: vars(t) for name, t in self.tallies.items()}

    def total(self, what: str) -> int:
        return sum(getattr(t, what) for t in self.tallies.values())
