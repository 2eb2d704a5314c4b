"""Steady load on a deployed lab while a deploy runs: every request is checked and every failure kept.

Used by tests/deploy (zero-downtime assertions) and bench/deploy (figures). Standard library only.

    with Load(probes) as load:       # one thread per probe, each looping until the block ends
        ...deploy...
    load.summary()                   # {"flask /": {"ok": 812, "failed": 0, "retried": 0}, ...}
    load.failures                    # [(seconds since start, probe name, what went wrong), ...]

HTTP probes send one request per connection (what a browser's new visitor does) and count a response as good when
its status is the expected one. The echo probe is one course exchange (connect, send, read `PREFIX: msg`, closed).
A socket server is restarted on deploy (no master process keeps its socket), so the echo probe may retry once after
a failed connect, like a client that reconnects: such retries are counted apart (`retried`) and measured, a second
failure is a failure.
"""

import http.client
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

RETRY_DELAY = 0.5  # seconds before the echo client's one reconnect (the restart gap measured ~0.1 s when idle)


class ProbeFailed(Exception):
    pass


@dataclass
class Probe:
    name: str
    call: Callable[[], str]  # raises ProbeFailed on a bad answer; returns the tallied header's value
    retry_once: bool = False


@dataclass
class Tally:
    ok: int = 0
    failed: int = 0
    retried: int = 0
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


def echo_probe(name: str, host: str, port: int, prefix: str) -> Probe:
    counter = iter(range(1 << 62))

    def call() -> str:
        message = f"deploy-load-{next(counter)}".encode()
        want = f"{prefix}: ".encode() + message
        try:
            with socket.create_connection((host, port), timeout=10) as sock:
                sock.sendall(message)
                got = b""
                while chunk := sock.recv(4096):
                    got += chunk
        except OSError as exc:
            raise ProbeFailed(f"echo: {exc!r}") from None
        if got != want:  # through Docker's port proxy a refused connect shows as an empty reply
            raise ProbeFailed(f"echo: sent {message!r}, got {got!r}")
        return ""

    return Probe(name, call, retry_once=True)


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
                value = self._attempt(probe, tally)
                with self._lock:
                    tally.ok += 1
                    if value:
                        tally.headers[value] = tally.headers.get(value, 0) + 1
            except ProbeFailed as exc:
                with self._lock:
                    tally.failed += 1
                    self.failures.append((round(time.monotonic() - self.started, 3), probe.name, str(exc)))
            self._stop.wait(self.pause)

    def _attempt(self, probe: Probe, tally: Tally) -> str:
        try:
            return probe.call()
        except ProbeFailed:
            if not probe.retry_once:
                raise
        with self._lock:
            tally.retried += 1
        time.sleep(RETRY_DELAY)
        return probe.call()

    def summary(self) -> dict[str, dict]:
        return {name: vars(t) for name, t in self.tallies.items()}

    def total(self, what: str) -> int:
        return sum(getattr(t, what) for t in self.tallies.values())
