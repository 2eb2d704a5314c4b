"""One run of a student's client against a recording server, for the client exercises (`stacklab-check client`).

The Recorder is a real server on a loopback port the kernel picks: each connection the client makes gets a name
("A", "B", ...) and a handler thread that plays the course's server (echo, recho, chat) while writing to the
session's transcript what crossed the wire. The Student is the client's process, started as the course starts it
(`COMMAND HOST PORT`) in a process group of its own, fed scripted stdin; what it prints is recorded too (`$ >>`
typed, `$ <<` printed). A scenario drives both, every wait bounded; then the process group is killed.
"""

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..engine import Context
from ..wire import Transcript

KEPT_OUTPUT = 1 << 20  # bytes of a client's stdout kept: a client spinning on print cannot exhaust memory
POLL = 0.01
LINE_END = 0.1  # seconds a printed reply's line may take to end


def until(condition: Callable[[], bool], wait: float) -> bool:
    """Whether `condition` became true within `wait` seconds."""
    deadline = time.monotonic() + wait
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL)
    return True


class Log:
    """A Transcript that threads (the recorder's handlers, the check) write to at once."""

    def __init__(self) -> None:
        self.transcript = Transcript()
        self.lock = threading.Lock()

    def add(self, who: str, mark: str, detail: str) -> None:
        with self.lock:
            self.transcript.add(who, mark, detail)

    def data(self, who: str, mark: str, data: bytes) -> None:
        with self.lock:
            self.transcript.data(who, mark, data)


class Conn:
    """One connection the client made to the recorder. `>>` is what the client sent, `<<` the server's answer."""

    def __init__(self, name: str, sock: socket.socket, log: Log):
        self.name, self.sock, self.log = name, sock, log
        self.address = sock.getpeername()[:2]  # the client's (ip, port), kept for after the close
        self.received = bytearray()
        self.client_closed = False
        self.ended = False  # the recorder shut the connection down at the end of the run
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def recv(self, size: int = 65536) -> bytes:
        """What the client sent next; b'' once it closed (or the recorder shut down)."""
        try:
            data = self.sock.recv(size)
        except OSError:
            data = b""
        if data:
            self.received += data
            self.log.data(self.name, ">>", data)
        elif not self.client_closed and not self.ended:
            self.client_closed = True
            self.log.add(self.name, "--", "the client closed its connection")
        return data

    def send(self, data: bytes) -> None:
        self.log.data(self.name, "<<", data)
        with contextlib.suppress(OSError):
            self.sock.sendall(data)

    def close_server_side(self) -> None:
        """The server closes (FIN) but keeps reading, to see whether the client closes in turn."""
        self.log.add(self.name, "--", "the server closed the connection")
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)


Handler = Callable[["Recorder", Conn], None]


class Recorder:
    def __init__(self, handler: Handler, log: Log, prefix: str):
        self.handler, self.log, self.prefix = handler, log, prefix
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.conns: list[Conn] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, name="recorder", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                sock, address = self.listener.accept()
            except OSError:
                return
            with self.lock:
                conn = Conn(chr(ord("A") + len(self.conns) % 26), sock, self.log)
                self.conns.append(conn)
            self.log.add(conn.name, "--", f"the client connected from {address[0]}:{address[1]}")
            threading.Thread(target=self.handler, args=(self, conn), daemon=True).start()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for conn in list(self.conns):
            conn.ended = True
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)  # wakes a handler blocked in recv (close alone does not)
            conn.sock.close()

    def received(self) -> bytes:
        return b"".join(bytes(conn.received) for conn in self.conns)


class Student:
    """The client's process: COMMAND ARGS (HOST PORT for the socket clients), its own process group, stdin a pipe
    the scenario types into, `cwd` where it runs (a downloader's files land there)."""

    def __init__(self, command: list[str], args: list[str], log: Log, cwd: str | None = None):
        self.log = log
        self.out = bytearray()
        self.err = bytearray()
        self.printed = 0  # stdout bytes in the transcript
        self.killed = False  # still running at the end, killed by the checker
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # a prompt without newline shows at once through the pipe
        self.proc = subprocess.Popen(
            [*command, *args],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env=env,
        )
        self.readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _read(pipe, into: bytearray) -> None:
        while chunk := os.read(pipe.fileno(), 65536):
            if len(into) < KEPT_OUTPUT:
                into += chunk

    def note(self, everything: bool = False) -> None:
        """Put the lines the client printed since the last note into the transcript (a line still being written,
        such as a prompt, goes with the next one, or with `everything` at the end)."""
        end = len(self.out) if everything else self.out.rfind(b"\n") + 1
        if end > self.printed:
            self.log.data("$", "<<", bytes(self.out[self.printed : end]))
            self.printed = end

    def type(self, text: bytes) -> None:
        self.note()
        self.log.data("$", ">>", text)
        try:
            self.proc.stdin.write(text)
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            self.log.add("$", "--", "could not type: the client no longer reads its input")

    def end_input(self) -> None:
        self.note()
        self.log.add("$", "--", "end of input (stdin closed)")
        with contextlib.suppress(OSError):
            self.proc.stdin.close()

    def prints(self, text: bytes, wait: float) -> bool:
        """Whether the client printed `text` (at any time so far) within `wait` seconds."""
        found = until(lambda: text in self.out, wait)
        if found:  # and the rest of its line: print() writes the newline separately
            until(lambda: b"\n" in self.out[self.out.rfind(text) :], LINE_END)
        self.note()
        return found

    def exits(self, wait: float) -> int | None:
        """The exit status once the client exits within `wait` seconds, else None."""
        status = None if not until(lambda: self.proc.poll() is not None, wait) else self.proc.returncode
        self.note()
        if status is not None:
            self.log.add("$", "--", f"the client exited with status {status}")
        return status

    def stop(self) -> None:
        running = self.killed = self.proc.poll() is None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # the whole group: a client's own children too
        self.proc.wait()
        for reader in self.readers:
            reader.join(1.0)
        self.proc.stdout.close()
        self.proc.stderr.close()
        self.note(everything=True)
        if running:
            self.log.add("$", "--", "still running at the end: killed")
        if self.err.strip():
            self.log.add("$", "--", "stderr: " + self.err.decode(errors="replace").strip().splitlines()[-1][:200])
        with contextlib.suppress(OSError):
            self.proc.stdin.close()


@dataclass
class Session:
    """What one run showed: the recorder (its connections), the student (stdout, exit) and the scenario's facts."""

    log: Log
    recorder: Recorder
    student: Student
    facts: dict = field(default_factory=dict)


Scenario = Callable[["ClientContext", Session], None]


@dataclass
class ClientContext(Context):
    """A Context whose "server" is the recorder: `command` is the student's client; runs of a scenario are
    shared by the checks of one grading (`sessions`), so that each scenario runs the client once."""

    command: tuple[str, ...] = ()
    sessions: dict = field(default_factory=dict)
    running: list = field(default_factory=list)

    def fresh(self) -> "ClientContext":
        return ClientContext(self.host, self.port, self.prefix, self.wait, command=self.command, sessions=self.sessions)

    def close_all(self) -> None:
        for student in self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(student.proc.pid, signal.SIGKILL)

    def session(self, scenario: Scenario, handler: Handler, args=None, collect=None) -> Session:
        """The run of `scenario`, its client given `args(port)` (default HOST PORT); with `collect`, the client
        runs in an empty directory, and collect(session, directory) reads what it left there before it goes."""
        if scenario.__name__ not in self.sessions:
            log = Log()
            recorder = Recorder(handler, log, self.prefix)
            argv = args(recorder.port) if args else ["127.0.0.1", str(recorder.port)]
            with tempfile.TemporaryDirectory(prefix="stacklab-client-") as directory:
                student = Student(list(self.command), argv, log, directory if collect else None)
                self.running.append(student)
                session = Session(log, recorder, student)
                try:
                    scenario(self, session)
                finally:
                    student.stop()
                    recorder.close()
                if collect:
                    collect(session, Path(directory))
            self.sessions[scenario.__name__] = session
        session = self.sessions[scenario.__name__]
        self.transcript.lines.extend(session.log.transcript.lines)
        return session
