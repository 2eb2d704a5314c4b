"""A class at once, on any target: 200 clients connected to the one-shot echo server together, each answered, and
the server still the same process afterwards (a client whose thread cannot start is refused, never a dead server)."""

import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from stacklab_core import checks
from stacklab_testing.target import SERVICES

CLIENTS = 200  # a class (issue 20: "at least 200 concurrent clients per socket server")
ECHO = next(s for s in SERVICES if s.name == "echo")


def exchange(sock: socket.socket, message: bytes) -> bytes | str:
    """The reply, or what went wrong (a reset when the server died)."""
    with sock:
        try:
            sock.sendall(message)
            reply = b""
            while chunk := sock.recv(4096):
                reply += chunk
        except OSError as exc:
            return repr(exc)
    return reply


def threads(host, pid: str) -> int:
    status = host.file(f"/proc/{pid}/status").content_string
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))


def test_a_class_at_once_is_answered_by_the_same_process(target, inside):
    host = inside(ECHO)
    pid = host.check_output(target.main_pid_command(ECHO)).strip()
    address = (target.address, target.port(ECHO.port_key))
    # Every connection open before any sends, and taken by the server: it holds them all at once, a thread each.
    crowd = [socket.create_connection(address, timeout=30) for _ in range(CLIENTS)]
    deadline = time.monotonic() + 5
    while threads(host, pid) <= CLIENTS and time.monotonic() < deadline:
        time.sleep(0.1)
    with ThreadPoolExecutor(max_workers=32) as pool:
        replies = list(pool.map(exchange, crowd, [f"student {i}".encode() for i in range(CLIENTS)]))
    prefix = target.plan["ECHO_PREFIX"]
    wrong = [(i, reply) for i, reply in enumerate(replies) if reply != f"{prefix}: student {i}".encode()]
    assert not wrong, f"{len(wrong)} of {CLIENTS} clients got no echo, e.g. {wrong[:3]}"
    assert host.check_output(target.main_pid_command(ECHO)).strip() == pid, "the echo server was restarted"


@pytest.mark.container
def test_a_crowd_beyond_the_task_limit_is_refused_not_fatal(target, inspect):
    """The container's task limit squeezed to 16 (docker update, undone after): of 60 clients at once, those whose
    thread cannot start are refused, and the same process goes on answering."""
    name = target.container_name(ECHO.container)
    before = inspect(ECHO.container)
    limit = before["HostConfig"]["PidsLimit"]
    subprocess.run(["docker", "update", "--pids-limit", "16", name], check=True, capture_output=True)
    try:
        address = (target.address, target.port(ECHO.port_key))
        crowd = [socket.create_connection(address, timeout=30) for _ in range(60)]
        time.sleep(1)  # the server takes every one before any sends: a thread each, or a refusal
        with ThreadPoolExecutor(max_workers=32) as pool:
            replies = list(pool.map(exchange, crowd, [b"squeezed"] * len(crowd)))
    finally:
        subprocess.run(["docker", "update", "--pids-limit", str(limit), name], check=True, capture_output=True)
    answered = replies.count(f"{target.plan['ECHO_PREFIX']}: squeezed".encode())
    why = "none: the server died; all: the limit did not bite"
    assert 0 < answered < len(crowd), f"{answered} of {len(crowd)} answered ({why})"
    after = inspect(ECHO.container)
    assert (after["State"]["Pid"], after["RestartCount"]) == (before["State"]["Pid"], before["RestartCount"])
    [result] = checks.run(target.address, target.plan, ["echo"], timeout=5.0)
    assert result.ok, result.detail
