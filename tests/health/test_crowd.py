"""A class at once, on any target (issue 20): 200 clients connected to each socket server together, each answered,
and the server still the same process afterwards (a client whose thread cannot start is refused, never a dead
server; recho, serial by design, answers them one after another). And a flood: 2,000 idle connections from one
address leave room for a newcomer, answered within 1 s (past a cap, the longest idle is evicted, not the newcomer).

Through published ports every client may reach the server from one address (docker-proxy on compose and to a
stand-in); inside a VM, addresses survive: the flood runs there too, from 127.0.0.1 against a newcomer from
127.0.0.2, so the per-address cap itself is what keeps the room."""

import json
import shlex
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from stacklab_core import checks
from stacklab_testing.target import SERVICES

CLIENTS = 200  # a class (issue 20: "at least 200 concurrent clients per socket server")
FLOOD = 2000  # idle connections from one address (issue 20 found them filling the select echo's and chat's rooms)
WITHIN = 1.0  # seconds the newcomer may wait for its answer during the flood
ECHO = next(s for s in SERVICES if s.name == "echo")
SOCKET_SERVERS = [s for s in SERVICES if s.stack in ("echo", "chat", "www")]  # their own process listens
# recho serves one client at a time by design: an idle client holds it until its idle timeout (300 s).
FLOODED = [s for s in SOCKET_SERVERS if s.name in ("echo", "echo_select", "chat")]  # the HTTP ones: test_slow_clients

# Run as a script (`python3 -c`), on this machine or inside a VM: HOST PORT COUNT FLOODER NEWCOMER; prints JSON.
FLOOD_PROBE = """
import json, resource, socket, sys, time
host, port, count, flooder, newcomer = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
flood = [socket.create_connection((host, port), 10, (flooder, 0)) for _ in range(count)]
time.sleep(3)  # a standing flood: the server has taken them all (a loaded 2-core machine took over 1 s)
started, reply = time.monotonic(), b""
try:
    with socket.create_connection((host, port), 5, (newcomer, 0)) as sock:
        sock.sendall(b"newcomer\\n")
        while b"newcomer" not in reply and (chunk := sock.recv(4096)):
            reply += chunk
except OSError as exc:
    reply += repr(exc).encode()
print(json.dumps({"reply": reply.decode(errors="replace"), "seconds": time.monotonic() - started}))
"""


def started(host, target, service) -> str:
    """The main process's pid and start time: another pair after a restart."""
    pid = f"$({target.main_pid_command(service)})"
    return host.check_output(f"pid={pid}; echo $pid $(cut -d ' ' -f 22 /proc/$pid/stat)")


def exchange(service, sock: socket.socket, i: int) -> bool:
    """Client `i`'s message was sent (see send); its answer is the server's kind of answer to it."""
    with sock:
        reply = b""
        try:
            while chunk := sock.recv(65536):
                reply += chunk
                if service.stack == "chat" and f"): student {i}\n".encode() in reply:  # the room goes on
                    return True
                if service.name == "echo_select" and reply.endswith(f"student {i}\n".encode()):
                    return True
        except OSError:
            return False
    if service.stack == "www":
        return reply.split(b"\r\n", 1)[0].split(b" ")[1:2] == [b"200"]
    return reply.endswith(f": student {i}\n".encode())  # echo, recho: `PREFIX: data`, then close


def send(service, sock: socket.socket, i: int) -> None:
    if service.stack == "www":
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        return
    sock.sendall(f"student {i}\n".encode())
    if service.name == "recho":  # its turn ends when the client closes: every client waits in line meanwhile
        sock.shutdown(socket.SHUT_WR)


@pytest.mark.parametrize("service", SOCKET_SERVERS, ids=lambda s: s.name)
def test_a_class_at_once_is_answered_by_the_same_process(target, inside, service):
    host = inside(service)
    before = started(host, target, service)
    address = (target.address, target.port(service.port_key))
    # Every connection open before any sends: the server holds them all at once (recho: in its queue).
    crowd = [socket.create_connection(address, timeout=60) for _ in range(CLIENTS)]
    time.sleep(1)
    for i, sock in enumerate(crowd):
        send(service, sock, i)
    with ThreadPoolExecutor(max_workers=32) as pool:
        answered = list(pool.map(lambda i: exchange(service, crowd[i], i), range(CLIENTS)))
    assert answered.count(True) == CLIENTS, f"{answered.count(False)} of {CLIENTS} clients got no answer"
    assert started(host, target, service) == before, f"{service.name} was restarted"


@pytest.mark.attack
@pytest.mark.parametrize("service", FLOODED, ids=lambda s: s.name)
def test_a_flood_from_one_address_leaves_room_for_a_newcomer(target, inside, service):
    host = inside(service)
    before = started(host, target, service)
    port = str(target.port(service.port_key))
    results = {"through the published port": subprocess.check_output(
        [sys.executable, "-c", FLOOD_PROBE, target.address, port, str(FLOOD), "127.0.0.1", "127.0.0.2"]
    )}  # fmt: skip
    if target.kind == "vm":  # addresses survive inside: the per-address cap keeps the newcomer's room
        probe = ["python3", "-c", FLOOD_PROBE, "127.0.0.1", port, str(FLOOD), "127.0.0.1", "127.0.0.2"]
        results["inside the VM"] = host.check_output(shlex.join(probe))
    for where, output in results.items():
        result = json.loads(output)
        assert "newcomer" in result["reply"] and result["seconds"] < WITHIN, f"{where}: {result}"
    assert started(host, target, service) == before, f"{service.name} was restarted"


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
        for i, sock in enumerate(crowd):
            send(ECHO, sock, i)
        with ThreadPoolExecutor(max_workers=32) as pool:
            replies = list(pool.map(lambda i: exchange(ECHO, crowd[i], i), range(len(crowd))))
    finally:
        subprocess.run(["docker", "update", "--pids-limit", str(limit), name], check=True, capture_output=True)
    answered = replies.count(True)
    why = "none: the server died; all: the limit did not bite"
    assert 0 < answered < len(crowd), f"{answered} of {len(crowd)} answered ({why})"
    after = inspect(ECHO.container)
    assert (after["State"]["Pid"], after["RestartCount"]) == (before["State"]["Pid"], before["RestartCount"])
    [result] = checks.run(target.address, target.plan, ["echo"], timeout=5.0)
    assert result.ok, result.detail
