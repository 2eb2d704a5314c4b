"""Client connections that record what crossed the wire, for the transcript of a failed check.

A Peer is one named client ("A", "B", ...) of the server under test. Every send, receive, close, reset and wait
that ends without data goes into the check's Transcript as (client, mark, detail): `>>` client to server, `<<`
server to client, `--` an event. Receives never raise on a timeout, a close or a reset: they return a Reply that
says how the wait ended, and the check decides which failure (and which hint) that is.
"""

import contextlib
import selectors
import socket
import struct
import time
from dataclasses import dataclass, field

MAX_READ = 1 << 22  # bytes one wait may collect: a runaway server cannot make a check hoard memory
SHOWN_BYTES = 96  # bytes of one transcript line shown, the rest counted
SHOWN_LINES = 24  # transcript lines kept (the first ones and the last ones)


class Unreachable(Exception):
    """The connection could not be made; the message says why."""


@dataclass
class Transcript:
    lines: list[tuple[str, str, str | bytes]] = field(default_factory=list)  # (client, mark, event or data)

    def add(self, client: str, mark: str, detail: str) -> None:
        self.lines.append((client, mark, detail))

    def data(self, client: str, mark: str, data: bytes) -> None:
        """Bytes sent or received; received bytes right after more from the same client make one line."""
        last = self.lines[-1] if self.lines else None
        if mark == "<<" and last and last[:2] == (client, mark) and isinstance(last[2], bytes):
            self.lines[-1] = (client, mark, last[2] + data)
        else:
            self.lines.append((client, mark, data))

    def render(self) -> list[str]:
        lines = [(client, mark, shown(detail)) for client, mark, detail in self.lines]
        if len(lines) > SHOWN_LINES:
            half = SHOWN_LINES // 2
            lines = [*lines[:half], ("", "..", f"{len(lines) - SHOWN_LINES} more lines"), *lines[-half:]]
        return [f"{client:>2} {mark} {detail}" for client, mark, detail in lines]


def shown(detail: str | bytes) -> str:
    if isinstance(detail, str):
        return detail
    return repr(detail[:SHOWN_BYTES]) + (f" ... ({len(detail):,} bytes)" if len(detail) > SHOWN_BYTES else "")


@dataclass
class Reply:
    data: bytes
    ended: str  # "complete" (what was waited for came), "closed" (EOF), "reset", "timeout"
    waited: float  # seconds

    @property
    def complete(self) -> bool:
        return self.ended == "complete"


class Peer:
    """One client of the server under test: a socket and the transcript it writes to."""

    def __init__(self, name: str, sock: socket.socket, transcript: Transcript, wait: float):
        self.name = name
        self.sock = sock
        self.transcript = transcript
        self.wait = wait  # seconds any one receive waits
        self.closed = False
        self.pending = bytearray()  # received and shown, but not yet taken by a check (see keep)

    @classmethod
    def connect(cls, name: str, host: str, port: int, transcript: Transcript, wait: float, window: int = 0) -> "Peer":
        """A connected client; `window` > 0 fixes its receive buffer that small: when it does not read, the
        server's sends to it stall after that much (and the server's send buffer), not after megabytes."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(wait)
        # The kernel may give this client a port that a server about to start was handed as free (tests on one
        # machine, the lab beside a check): with SO_REUSEADDR on both sides (servers set it), its bind succeeds.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if window:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, window)
        try:
            sock.connect((host, port))
        except TimeoutError:
            sock.close()
            transcript.add(name, "--", f"connect to {host}:{port} timed out after {wait:g} s")
            raise Unreachable(f"no answer from {host}:{port} within {wait:g} s") from None
        except OSError as exc:
            sock.close()
            transcript.add(name, "--", f"connect to {host}:{port}: {exc.strerror or exc}")
            raise Unreachable(f"{host}:{port}: {exc.strerror or exc}") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        here = sock.getsockname()
        transcript.add(name, "--", f"connected from {here[0]}:{here[1]}")
        return cls(name, sock, transcript, wait)

    @property
    def address(self) -> tuple[str, int]:
        """This client's (ip, port), as the server sees it on loopback."""
        return self.sock.getsockname()[:2]

    def send(self, data: bytes) -> bool:
        """Send all of `data`; False (and a transcript line) if the server is gone or does not read."""
        self.transcript.data(self.name, ">>", data)
        self.sock.settimeout(self.wait)
        try:
            self.sock.sendall(data)
        except TimeoutError:
            self.transcript.add(self.name, "--", f"send blocked for {self.wait:g} s: the server does not read")
            return False
        except OSError as exc:
            self.transcript.add(self.name, "--", f"send failed: {exc.strerror or exc}")
            return False
        return True

    def receive(self, size: int, what: str, wait: float | None = None, settle: float = 0.0) -> Reply:
        """Up to `size` bytes: wait until that many came, the server closed or reset, or `wait` seconds passed
        (or, with `settle`, until nothing more came for that long after a first byte: a short reply)."""
        return self._collect(lambda got: len(got) >= size, what, wait, limit=size, settle=settle)

    def receive_until(self, done, what: str, wait: float | None = None, settle: float = 0.0) -> Reply:
        """Bytes until done(bytes so far) is true, the server closed or reset, or `wait` seconds passed (or, with
        `settle`, nothing more came for that long after a first byte)."""
        return self._collect(done, what, wait, settle=settle)

    def until_closed(self, what: str, wait: float | None = None) -> Reply:
        """Everything until the server closes; ended "complete" when it did."""
        reply = self._collect(lambda got: False, what, wait)
        return Reply(reply.data, "complete" if reply.ended == "closed" else reply.ended, reply.waited)

    def listen(self, seconds: float) -> bytes:
        """What arrives within `seconds` (a window in which nothing should, or an extra byte may, come)."""
        reply = self._collect(lambda got: False, "", seconds, quiet=True)
        return reply.data

    def _collect(
        self, done, what: str, wait: float | None, limit: int = MAX_READ, quiet: bool = False, settle: float = 0.0
    ) -> Reply:
        wait = self.wait if wait is None else wait
        start = time.monotonic()
        deadline = start + wait
        got, self.pending = self.pending, bytearray()
        shown = len(got)  # what is already in the transcript
        ended = "timeout"
        while not done(bytes(got)):
            left = deadline - time.monotonic()
            if left <= 0 or len(got) >= MAX_READ:
                break
            self.sock.settimeout(min(left, settle) if settle and got else left)
            try:
                chunk = self.sock.recv(min(65536, limit - len(got)))
            except TimeoutError:
                break
            except OSError as exc:
                ended = "reset"
                self._note(got[shown:])
                why = "closed by the checker: out of time" if self.closed else f"{exc.strerror or exc} (reset)"
                self.transcript.add(self.name, "--", f"connection {why}")
                return Reply(bytes(got), ended, time.monotonic() - start)
            if not chunk:
                ended = "closed"
                break
            got += chunk
        else:
            ended = "complete"
        waited = time.monotonic() - start
        self._note(got[shown:])
        if ended == "closed":
            self.transcript.add(self.name, "--", "the server closed the connection")
        elif ended == "timeout" and not quiet and settle and got:
            self.transcript.add(self.name, "--", f"nothing more for {settle:g} s, waiting for {what}")
        elif ended == "timeout" and not quiet:
            self.transcript.add(self.name, "--", f"timed out after {wait:g} s waiting for {what}")
        return Reply(bytes(got), ended, waited)

    def _note(self, got: bytearray) -> None:
        if got:
            self.transcript.data(self.name, "<<", bytes(got))

    def keep(self, data: bytes) -> None:
        """Give back bytes a check read past what it needed: the next receive starts with them."""
        self.pending[:0] = data

    def half_close(self) -> None:
        """Tell the server this client sends no more (FIN), keeping the way back open."""
        self.transcript.add(self.name, "--", "half-close: shutdown(SHUT_WR), the client sends no more")
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)

    def reset(self) -> None:
        """Close abruptly: a TCP reset (RST) instead of FIN, as when a laptop drops off the network."""
        self.transcript.add(self.name, "--", "abrupt disconnect: reset (RST)")
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()
        self.closed = True

    def close(self, quietly: bool = False) -> None:
        """Close with a FIN: what the server sent and the check did not read is read first (closing with unread
        data would send a reset, and a server that dies of resets would be blamed for the wrong check)."""
        if not self.closed:
            if not quietly:
                self.transcript.add(self.name, "--", "close")
            with contextlib.suppress(OSError):
                self.sock.setblocking(False)
                for _ in range(MAX_READ // 65536):
                    if not self.sock.recv(65536):
                        break
            self.closed = True  # first: a receive this close interrupts (the check's time is up) says so
            self.sock.close()


def sends_until_blocked(peer: Peer, chunk: bytes, cap: int, stall: float) -> int:
    """Send `chunk` over and over without reading until the server stops taking it for `stall` seconds, the
    connection fails or `cap` bytes are sent; return the bytes sent (one transcript line for all of them)."""
    sent = 0
    with selectors.DefaultSelector() as selector:
        peer.sock.setblocking(False)
        selector.register(peer.sock, selectors.EVENT_WRITE)
        try:
            while sent < cap and selector.select(stall):
                try:
                    sent += peer.sock.send(chunk)
                except BlockingIOError:
                    continue
                except OSError:
                    break
        finally:
            peer.sock.setblocking(True)
    peer.transcript.add(peer.name, ">>", f"{sent:,} bytes of {chunk[:24]!r}... without reading any reply")
    return sent
