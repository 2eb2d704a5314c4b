"""The course's servers' runtime: the echo servers, stacklab_chat's and the hand-written HTTP servers (stacklab_www).

Settings from flags and env, the listening socket (inherited from systemd when it is socket-activated), logging,
stop signals (noted by the handler, acted on where the server looks: between sliced blocking waits, or in a select
loop woken by the interpreter's wake-up byte), the last words to a client, the open-file limit. One place, so that
a fix to any of them lands once.
"""

import argparse
import errno
import math
import os
import resource
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator

DEFAULT_PREFIX = "uw-student"
LOG_PREVIEW = 200  # characters of client data shown per log line; a 1 MB message must not become a 1 MB log line
OUT_OF_FDS = (errno.EMFILE, errno.ENFILE)
ACCEPT_BACKOFF = 0.1  # seconds between accept attempts while out of file descriptors
FIRST_INHERITED_FD = 3  # sd_listen_fds(3): systemd passes the sockets from fd 3 on
SIGNAL_CHECK_SECONDS = 0.25  # the longest a blocking accept, recv or send waits before the server looks for a stop
FAREWELL_SECONDS = 2.0  # how long a closing server waits for a client to read its last line and close
# The last line a server sends to the clients it still has when it stops (a deploy restarts it).
SHUTTING_DOWN = b"server shutting down (restart or stop): this connection closes now, reconnect in a moment\n"


class Shutdown(BaseException):  # like KeyboardInterrupt: no `except Exception` swallows it
    """A stop signal came (check_stop); its name is the argument."""


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_received: list[str] = []  # the stop signals received, in order


def handle_signals() -> None:
    """SIGTERM and SIGINT are only noted; the server acts where it looks: check_stop() between its blocking waits
    (each at most SIGNAL_CHECK_SECONDS), or its select loop (woken by wakeup_socket). An exception
    raised by the handler itself comes out of whatever line the main thread is on, a lock's __exit__ among them,
    and leaves that lock held: the one-shot server hung so in its shutdown, waiting for a semaphore it held."""

    def note(signum, frame):
        _received.append(signal.Signals(signum).name)

    for signum in STOP_SIGNALS:
        signal.signal(signum, note)


def stop_signal() -> str:
    """The first stop signal received, or ''."""
    return _received[0] if _received else ""


def check_stop() -> None:
    """Raise Shutdown once a stop signal came."""
    if _received:
        raise Shutdown(_received[0])


# Both ends stay open for the process's life: a signal during the last words (after the loop's selector closed)
# must find the writer's peer there, or the interpreter reports a broken pipe on stderr.
_wakeup_pairs: list[tuple[socket.socket, socket.socket]] = []


def wakeup_socket() -> socket.socket:
    """A nonblocking socket that turns readable the moment a signal arrives, for a select loop to register: the
    interpreter writes a byte to its pair (set_wakeup_fd), which wakes the select even when the signal came just
    before it began to wait (the Python handler alone would run only after the select returned on its own)."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)  # set_wakeup_fd's condition: a signal must never block on it
    signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    _wakeup_pairs.append((reader, writer))
    return reader


_log_lock = threading.Lock()


def log(line: str) -> None:
    """One whole line to stdout, flushed (Docker and journald collect it). print() writes the text and its newline
    separately: two handler threads of the one-shot server could run their lines together."""
    with _log_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def printable(data: bytes) -> str:
    """Client bytes as one safe log line: UTF-8 where it decodes, escapes for control characters and the rest."""
    text = data.decode("utf-8", "backslashreplace")
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:LOG_PREVIEW])
    return shown if len(text) <= LOG_PREVIEW else f"{shown}... [{len(data)} bytes]"


def env_number(name: str, default: float) -> float:
    """A number from the environment; unset or empty means the default, anything else must be a number."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        raise SystemExit(f"{name}={value!r} is not a number") from None


def parser(
    description: str, port_env: str, default_port: int, script: str = "echo_server.py"
) -> argparse.ArgumentParser:
    """Flags every socket server (echo, chat) takes; a flag beats the env var, which beats the course's default.

    `script` is the course's program the positional port imitates.
    """
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "port_arg",
        nargs="?",
        type=int,
        metavar="port",
        help=f"listening port, as in the course (`{script} [port]`); same as --port",
    )
    port = int(env_number(port_env, default_port))
    p.add_argument("--port", type=int, default=port, help=f"env {port_env}, default {default_port}")
    p.add_argument("--host", default=os.environ.get("BIND_HOST") or "0.0.0.0", help="env BIND_HOST, default 0.0.0.0")
    prefix = os.environ.get("ECHO_PREFIX") or DEFAULT_PREFIX
    p.add_argument("--prefix", default=prefix, help=f"env ECHO_PREFIX, default {DEFAULT_PREFIX}")
    return p


def parse(p: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    args = p.parse_args(argv)
    if args.port_arg is not None:
        args.port = args.port_arg
    return args


def env_flag(p: argparse.ArgumentParser, flag: str, env: str, default: float, what: str, shown: str = "") -> None:
    """A number flag that beats env var `env`, which beats `default` (its type, int or float, is the flag's);
    the help says `what`, then the env var and the default (`shown`, else the number)."""
    kind = type(default)
    shown = shown or (f"{default:g}" if kind is float else str(default))
    p.add_argument(flag, type=kind, default=kind(env_number(env, default)), help=f"{what} (env {env}, default {shown})")


def inherited_listener() -> socket.socket | None:
    """The listening socket systemd passed us (socket activation: LISTEN_PID is our pid, LISTEN_FDS >= 1), else None.

    systemd keeps that socket open while the service restarts, so a client connecting during a deploy waits in its
    queue instead of being refused. The variables are removed so that no child takes the socket for its own.
    """
    pid, count = os.environ.pop("LISTEN_PID", ""), os.environ.pop("LISTEN_FDS", "0")
    os.environ.pop("LISTEN_FDNAMES", None)
    if pid != str(os.getpid()) or not count.isdigit() or int(count) < 1:
        return None
    return socket.socket(fileno=FIRST_INHERITED_FD)  # family and type are read from the descriptor


def listen(name: str, host: str, port: int) -> socket.socket:
    """The socket systemd passed (see inherited_listener; host and port are then the socket unit's), or a new
    listening TCP socket with SO_REUSEADDR (compose, a shell: restarts do not wait for TIME_WAIT).

    The backlog is the system maximum rather than the course's 5: recho's waiting clients and bursts of
    connects to the select and chat servers queue in the kernel instead of being dropped.
    """
    if (inherited := inherited_listener()) is not None:
        return inherited
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=socket.SOMAXCONN)
    except OSError as exc:  # port taken, bad address: one clear line, not a traceback
        print(f"{name} cannot listen on {host} port {port}: {exc.strerror or exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None


def listening(name: str, host: str, port: int, details: str = "") -> socket.socket:
    """Every server's start: stop signals noted from now on (handle_signals), its listener (listen), and the log
    line `NAME listening on port PORT` with `details` after it."""
    handle_signals()
    listener = listen(name, host, port)
    log(f"{name} listening on port {port}{details}")
    return listener


def recv_within(conn: socket.socket, size: int, timeout: float, stoppable: bool = True) -> bytes:
    """conn.recv(size), or TimeoutError after `timeout` seconds without data; Shutdown once a stop signal came
    (`stoppable`). The wait is cut into slices of SIGNAL_CHECK_SECONDS: a signal does not end a blocking call (the
    interpreter retries it), so the server looks for one between slices."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        if stoppable:
            check_stop()
        conn.settimeout(min(left, SIGNAL_CHECK_SECONDS))
        try:
            return conn.recv(size)
        except TimeoutError:
            continue
    raise TimeoutError(f"nothing received within {timeout:g} s")


def sendall_within(conn: socket.socket, data: bytes, timeout: float, stoppable: bool = True) -> None:
    """conn.sendall(data), or TimeoutError after `timeout` seconds in all; Shutdown once a stop signal came
    (`stoppable`): a client that reads nothing cannot hold a stopping server. Slices as recv_within."""
    deadline = time.monotonic() + timeout
    view = memoryview(data)
    while view:
        if stoppable:
            check_stop()
        if (left := deadline - time.monotonic()) <= 0:
            raise TimeoutError(f"could not send within {timeout:g} s")
        conn.settimeout(min(left, SIGNAL_CHECK_SECONDS))
        try:
            view = view[conn.send(view) :]
        except TimeoutError:
            continue


def farewell(conn: socket.socket, line: bytes) -> None:
    """Close a blocking connection the way a stopping server should: a last line that says so, FIN, then read
    what the client still sends until it closes (at most FAREWELL_SECONDS), so that closing never resets it
    (a close with unread input sends RST, which can destroy the last line before the client reads it)."""
    deadline = time.monotonic() + FAREWELL_SECONDS
    try:
        conn.settimeout(FAREWELL_SECONDS)
        conn.sendall(line)
    except OSError:  # gone, reset or too slow: nothing more to tell it
        return
    close_gently(conn, deadline)


def close_gently(conn: socket.socket, deadline: float, limit: float = math.inf) -> None:
    """After the last bytes a blocking connection gets: FIN, then swallow what the client still sends, until it
    closes, `limit` bytes or the `deadline` (a client trickling a byte at a time does not extend it).

    Closing a socket with unread input makes the kernel send RST, which can destroy the last bytes before the
    client reads them (a message longer than the server read, a request body it did not want).
    """
    try:
        conn.shutdown(socket.SHUT_WR)
        drained = 0
        while drained < limit and (left := deadline - time.monotonic()) > 0:
            conn.settimeout(left)
            chunk = conn.recv(65536)
            if not chunk:
                return
            drained += len(chunk)
    except OSError:  # timeout or reset: what was sent is out, nothing more to save
        return


class AcceptBackoff:
    """Out of file descriptors, the connection stays queued and the listener stays readable, so retrying at once
    would spin at full CPU and flood the log: wait ACCEPT_BACKOFF between tries and log the pause once."""

    def __init__(self):
        self.paused = False

    def wait(self, exc: OSError) -> None:
        """accept failed with one of OUT_OF_FDS: pause before the next try."""
        if not self.paused:
            log(f"accept paused: {exc.strerror}, retrying every {ACCEPT_BACKOFF:g} s")
            self.paused = True
        time.sleep(ACCEPT_BACKOFF)

    def accepted(self) -> None:
        """accept succeeded: the end of a pause, if there was one, goes in the log."""
        if self.paused:
            log("accept resumed")
            self.paused = False


def connections(listener: socket.socket) -> Iterator[tuple[socket.socket, tuple]]:
    """The threaded and serial servers' blocking accept loop: each connection with its peer() address, until a stop
    signal (Shutdown). The wait is sliced as recv_within's; a failed accept is logged and skipped."""
    listener.settimeout(SIGNAL_CHECK_SECONDS)  # accepted sockets are still blocking (no default timeout)
    backoff = AcceptBackoff()
    while True:
        check_stop()
        try:
            conn, addr = listener.accept()
        except TimeoutError:
            continue
        except OSError as exc:
            if exc.errno in OUT_OF_FDS:
                backoff.wait(exc)
            else:  # e.g. the client reset before accept: skip it
                log(f"accept failed: {exc.strerror or exc}")
            continue
        backoff.accepted()
        yield conn, peer(addr)


def peer(addr: tuple) -> tuple:
    """The course's peer tuple (ip, port), also for IPv6 addresses, which carry flow info and scope id."""
    return tuple(addr[:2])


def raise_fd_limit(needed: int) -> int:
    """Lift the soft limit on open files to `needed` (capped by the hard limit, never lowered): enough for the
    clients the server admits, and no more, so a leak or a flood cannot take the host's descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as exc:  # e.g. an unlimited hard limit that the OS caps lower
            print(f"cannot raise the open-file limit from {soft}: {exc}", file=sys.stderr, flush=True)
            return soft
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
