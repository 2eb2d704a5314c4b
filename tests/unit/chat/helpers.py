"""Client-side helpers for the chat tests: real sockets on 127.0.0.1, newline framing, every wait bounded."""

import os
import selectors
import socket
import struct
import subprocess
import time

from tests.unit.servers import BIN

PREFIX = "tester"  # not the default: proves the server reads ECHO_PREFIX


class Peer:
    """A chat participant speaking the wire protocol directly."""

    def __init__(self, port: int, timeout: float = 5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.addr = self.sock.getsockname()  # what the server reports as this client's tuple
        self.buffer = bytearray()

    def tag(self, message: bytes) -> bytes:
        """The line every client receives when this peer sends `message`."""
        return f"{PREFIX} {self.addr!r}: ".encode() + message + b"\n"

    def say(self, message: bytes) -> None:
        self.sock.sendall(message + b"\n")

    def lines(self, count: int, timeout: float = 5.0) -> list[bytes]:
        """The next `count` lines (newline included); fewer if they do not come within `timeout`."""
        deadline = time.monotonic() + timeout
        while self.buffer.count(b"\n") < count:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            self.buffer += chunk
        taken = []
        while len(taken) < count and (end := self.buffer.find(b"\n")) >= 0:
            taken.append(bytes(self.buffer[: end + 1]))
            del self.buffer[: end + 1]
        return taken

    def line(self, timeout: float = 5.0) -> bytes | None:
        got = self.lines(1, timeout)
        return got[0] if got else None

    def silent_for(self, wait: float) -> bool:
        """True if no complete line arrives within `wait` seconds."""
        return not self.lines(1, wait)

    def closed_by_server(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                if not self.sock.recv(65536):
                    return True
            except TimeoutError:
                return False
            except ConnectionResetError:
                return True
        return False

    def reset(self) -> None:
        """Close abruptly: SO_LINGER 0 makes the kernel send RST instead of FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()


class ChatProcess:
    """stacklab-chat with stdin, stdout and stderr as pipes; output read with deadlines."""

    def __init__(self, port: int):
        self.proc = subprocess.Popen(
            [str(BIN / "stacklab-chat"), "127.0.0.1", str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.out = bytearray()

    def type(self, text: str) -> None:
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def wait_for_output(self, text: str, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            while text.encode() not in self.out:
                left = deadline - time.monotonic()
                assert left > 0, f"{text!r} not in the client's output: {bytes(self.out)!r}"
                if selector.select(left):
                    chunk = os.read(self.proc.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    self.out += chunk
        assert text.encode() in self.out, f"{text!r} not in the client's output: {bytes(self.out)!r}"
        return self.out.decode()

    def finish(self, timeout: float = 5.0) -> tuple[int, str, str]:
        """Wait for the exit with stdin still open (EOF would be an event of its own); return status, out, err."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise AssertionError(f"the chat client did not exit within {timeout}s") from None
        out, err = self.proc.communicate()
        return self.proc.returncode, (self.out + out).decode(), err.decode()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()
