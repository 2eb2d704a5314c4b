"""Helpers for the services' unit tests: servers started from their console scripts on 127.0.0.1 (Server), free
ports, open-file limits, and what /proc says about a process."""

import contextlib
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent  # the workspace venv, where every console script is installed


# Ports for test servers: below the kernel's ephemeral range (net.ipv4.ip_local_port_range starts at 32768), so that
# no client's connect is given a port that a test has picked for a server it is about to start (the grader's zoo
# connects thousands of times: a wildcard bind fails while a client holds the port), and clear of the lab's ports.
TEST_PORTS = range(20000, 32768)


def free_port() -> int:
    """A port nothing holds now, for a server a test starts."""
    for _ in range(200):
        port = random.choice(TEST_PORTS)
        with socket.socket() as s:
            try:
                s.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {TEST_PORTS}")


def free_ports(names) -> dict:
    """A distinct free port for each name (free_port alone may hand out one twice: nothing holds it in between)."""
    ports: dict = {}
    for name in names:
        while (port := free_port()) in ports.values():
            pass
        ports[name] = port
    return ports


def ensure_fd_limit(needed: int) -> None:
    """Raise this test process's open-file limit, or skip if the machine's hard limit is too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"hard open-file limit {hard} < {needed}")
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def under_soft_fd_limit(limit: int, script: str, *args: str) -> list[str]:
    """argv that runs a console script with its soft open-file limit lowered to `limit` (the hard one unchanged)."""
    return ["/bin/sh", "-c", f'ulimit -Sn {limit} && exec "$0" "$@"', str(BIN / script), *args]


def run_on_taken_port(script: str) -> tuple[int, subprocess.CompletedProcess]:
    """Run a server's console script on a port another socket holds; return the port and how the run ended."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(BIN / script), "--host", "127.0.0.1", "--port", str(port)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=10,
        )
    return port, result


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (from /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def assert_not_spinning(pid: int, window: float = 1.5) -> None:
    """Fail if the process burns CPU while it should wait: a busy loop takes whatever the machine's two busy
    cores give it (0.3 s and more of a loaded second, as seen), a loop that waits 0.1 s between tries next to none."""
    before = cpu_seconds(pid)
    time.sleep(window)  # a measuring window, not a wait for state
    used = cpu_seconds(pid) - before
    assert used < 0.1, f"{used:.2f} s of CPU in {window:g} s: the process spins"


def threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def children(pid: int) -> list[int]:
    """The pids of a process's live children (from each /proc/PID/stat's parent field)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited since the listing
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def free_fds(pid: int) -> None:
    """Raise a running process's soft open-file limit to 1024 (or its hard limit if lower)."""
    _, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    soft = 1024 if hard == resource.RLIM_INFINITY else min(1024, hard)
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))


class Server:
    """A server process started from a console script; `log()` returns what it printed so far."""

    def __init__(self, argv: list[str], port: int, env: dict[str, str] | None = None, cwd: Path | None = None):
        self.port = port
        self.log_path = Path(_tmp_log())
        # Appending: nginx writes its access log through /dev/stdout, a file description of its own, beside stderr;
        # without O_APPEND each writes at its own offset and one overwrites the other's lines.
        self._logfile = open(self.log_path, "a+")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(BIN / argv[0]), *argv[1:]],
            stdin=subprocess.DEVNULL,  # servers must run detached: no terminal, stdin at EOF
            stdout=self._logfile,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            cwd=cwd,
        )
        wait_for_port(port, self.proc)

    def log(self) -> str:
        """What the server printed so far; still readable after stop(), until the test ends."""
        if not self._logfile.closed:
            self._logfile.flush()
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in (out := self.log()):
                return out
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not in server log:\n{self.log()}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._logfile.close()
        return self.proc.returncode


def _tmp_log() -> str:
    fd, path = tempfile.mkstemp(prefix="stacklab-server-", suffix=".log")
    os.close(fd)
    return path


FLOOD = 2000  # idle connections from one address (issue 20: they filled the select echo's and chat's rooms)
FLOODER, NEWCOMER = "127.0.0.1", "127.0.0.2"  # two client addresses on loopback: a server sees them apart


IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)  # Linux; named in Python 3.12


def connect_from(source: str, port: int, timeout: float = 5.0) -> socket.socket:
    """A connection to 127.0.0.1:port whose source address is `source`. Its port is picked at connect, and
    SO_REUSEADDR lets a server started by a parallel test listen on it (servers set it too): a flood's thousands
    of client ports would otherwise be ports that free_port() may hand out and no server can bind."""
    sock = socket.socket()
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        sock.bind((source, 0))
        sock.settimeout(timeout)
        sock.connect(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    return sock


def accept_queue(port: int) -> int:
    """Connections waiting in the listen queue of 127.0.0.1:`port` (or [::]:`port`) for the server's accept():
    for a listening socket, /proc/net/tcp's rx_queue is that queue's length."""
    waiting = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    waiting += int(fields[4].split(":")[1], 16)
    return waiting


@contextlib.contextmanager
def idle_flood(port: int, count: int = FLOOD, source: str = FLOODER) -> Iterator[list[socket.socket]]:
    """`count` connections from `source` that never send, open while the block runs."""
    ensure_fd_limit(count + 256)
    flood: list[socket.socket] = []
    try:
        for _ in range(count):
            flood.append(connect_from(source, port))
        # The flood stands once the server has taken it in: until then a newcomer waits behind it in the listen
        # queue, and "answered within 1 s" would time this machine's load, not the server's room for it.
        deadline = time.monotonic() + 30
        while accept_queue(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        yield flood
    finally:
        for sock in flood:
            sock.close()
