"""Figures under attack for the course's socket and hand-written HTTP servers (issue 14), all on 127.0.0.1, and
for the front servers of a running lab (Apache, every nginx front, the lab index).

    uv run python bench/attacks.py [--slow 256] [--flood 2000] [--seconds 6] [--only NAME ...]
    uv run python bench/attacks.py --address 127.0.0.1    # the fronts of a running lab, ports from stack.env

For each service, started from its console script on a free port: a normal client's requests answered and
their latency (median, worst) with no attack, while `--slow` clients trickle (HTTP: an unfinished request head,
one more header line a second; socket servers: silent connections), and while `--flood` connections sit open.
For chat and the select echo also the server's peak RSS with the maximum number of slow readers (clients that
never read) and a flooder. With --address, the same three cases against each front server of the lab running there
(compose on 127.0.0.1, a stand-in on its address), a normal request being a real page. Prints markdown tables;
asserts nothing. Every attack is bounded in count and time, and goes to 127.0.0.1 or the address given.
"""

import argparse
import contextlib
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stacklab_core import catalog
from stacklab_core import ports as port_plan

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROBE_TIMEOUT = 5.0
SERVICES = {  # name: (console script, extra flags, kind)
    "echo (one-shot)": ("stacklab-echo-server", [], "oneshot"),
    "select echo": ("stacklab-echo-select", [], "select"),
    "chat": ("stacklab-chat-server", [], "chat"),
    "hello_www": ("stacklab-hello-www", [], "http"),
    "echo_www": ("stacklab-echo-www", [], "http"),
    "ws30": ("stacklab-ws30", ["--demo"], "http"),
}
# A real page of each front server of the lab (not just /healthz); the catalog says which services have one.
FRONT_PAGES = {
    "cgi": "/cgi-bin/echo_cgi.py?message=bench",
    "wsgi": "/history",
    "flask": "/detail/id3",
    "django": "/accounts/login/",
    "lab": "/",
}
FRONTS = [s for s in catalog.SERVICES.values() if s.front_unit or s.unit == "apache2"]


@contextlib.contextmanager
def running(script: str, flags: list[str]):
    """The server on a free 127.0.0.1 port, its log in a temporary file; yields (port, pid, log path)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.NamedTemporaryFile("w+", prefix="attacks-", suffix=".log") as log:
        argv = [str(BIN / script), "--host", "127.0.0.1", "--port", str(port), *flags]
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            time.sleep(0.2)  # the probe connection above is gone from the server's books
            yield port, proc.pid, Path(log.name)
        finally:
            proc.terminate()
            proc.wait(10)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def recv_until(sock: socket.socket, done, deadline: float) -> bytes:
    data = b""
    while not done(data):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        sock.settimeout(left)
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def probe(kind: str, port: int, host: str = "127.0.0.1", path: str = "/") -> float | None:
    """One normal request; its latency in seconds, or None if it was not answered properly."""
    started = time.monotonic()
    deadline = started + PROBE_TIMEOUT
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT) as sock:
            if kind == "http":
                sock.sendall(b"GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path.encode(), host.encode()))
                ok = recv_until(sock, lambda d: False, deadline)[:13] in (b"HTTP/1.0 200 ", b"HTTP/1.1 200 ")
            elif kind == "chat":
                sock.sendall(b"probe\n")
                ok = b": probe\n" in recv_until(sock, lambda d: b": probe\n" in d, deadline)
            else:
                sock.sendall(b"probe")
                ok = recv_until(sock, lambda d: d.endswith(b": probe"), deadline).endswith(b": probe")
    except OSError:
        return None
    return time.monotonic() - started if ok else None


def probes(kind: str, port: int, count: int, between=None, host: str = "127.0.0.1", path: str = "/"):
    results = []
    for i in range(count):
        if between:
            between(i)
        results.append(probe(kind, port, host, path))
        time.sleep(0.05)
    return results


def summary(results: list[float | None]) -> str:
    times = [r for r in results if r is not None]
    if not times:
        return f"0/{len(results)} | - | -"
    return f"{len(times)}/{len(results)} | {statistics.median(times) * 1000:.1f} ms | {max(times) * 1000:.1f} ms"


def connect_many(port: int, count: int, first: bytes = b"", host: str = "127.0.0.1") -> list[socket.socket]:
    socks = []
    for _ in range(count):
        try:
            sock = socket.create_connection((host, port), timeout=5)
            if first:
                sock.sendall(first)
        except OSError:
            continue  # refused or reset under the load: the attacker just has fewer
        socks.append(sock)
    return socks


def close_all(socks: list[socket.socket]) -> None:
    for sock in socks:
        sock.close()


def slow_case(kind: str, port: int, args: argparse.Namespace, host: str = "127.0.0.1", path: str = "/") -> str:
    """Normal requests while args.slow clients trickle (HTTP: one more header line a second)."""
    first = b"GET / HTTP/1.1\r\nHost: x\r\n" if kind == "http" else b""
    slow = connect_many(port, args.slow, first, host)
    rounds = max(1, int(args.seconds))
    per_round = max(1, args.probes // rounds)

    def trickle(i: int) -> None:
        if kind == "http" and i % per_round == 0:
            for sock in slow:
                with contextlib.suppress(OSError):  # dropped by the server: it stays dropped
                    sock.sendall(b"X-Slow-%d: y\r\n" % i)

    try:
        return summary(probes(kind, port, args.probes, trickle, host, path))
    finally:
        close_all(slow)


def flood_case(kind: str, port: int, args: argparse.Namespace, host: str = "127.0.0.1", path: str = "/") -> str:
    """Normal requests while args.flood connections sit open, sending nothing."""
    flood = connect_many(port, args.flood, b"", host)
    try:
        return summary(probes(kind, port, args.probes, None, host, path))
    finally:
        close_all(flood)


def under_attack(name: str, script: str, flags: list[str], kind: str, args: argparse.Namespace) -> list[str]:
    rows = []
    with running(script, flags) as (port, _pid, _log):
        rows.append(f"| {name} | none | {summary(probes(kind, port, args.probes))} |")
    with running(script, flags) as (port, _pid, _log):
        rows.append(f"| {name} | {args.slow} slow clients | {slow_case(kind, port, args)} |")
    with running(script, flags) as (port, _pid, _log):
        rows.append(f"| {name} | {args.flood} idle connections | {flood_case(kind, port, args)} |")
    return rows


def fronts_under_attack(address: str, args: argparse.Namespace) -> None:
    """The three cases against each front server of the lab running at `address` (ports from stack.env and the
    environment); each case closes its attackers before the next."""
    plan = port_plan.load(ROOT / "stack.env")
    print("| front | attack | normal requests answered | median | worst |")
    print("|---|---|---|---|---|")
    for service in FRONTS:
        port, path = port_plan.port(plan, service.port_key), FRONT_PAGES.get(service.name, "/healthz")
        name = f"{service.name} ({'Apache' if service.unit == 'apache2' else 'nginx'})"
        at = (port, args, address, path)
        print(f"| {name} | none | {summary(probes('http', port, args.probes, None, address, path))} |", flush=True)
        print(f"| {name} | {args.slow} slow clients | {slow_case('http', *at)} |", flush=True)
        print(f"| {name} | {args.flood} idle connections | {flood_case('http', *at)} |", flush=True)


def memory(name: str, script: str, kind: str, max_clients: int, seconds: float) -> str:
    """The maximum of clients but two that never read, a flooder, a normal client: peak RSS and its probes. The
    slow readers come from several loopback addresses (127.0.1.N), 200 each: one address may hold only 256."""
    with running(script, []) as (port, pid, log):
        base = rss_mib(pid)
        slow = []
        for i in range(max_clients - 2):
            sock = socket.socket()
            sock.bind((f"127.0.1.{1 + i // 200}", 0))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", port))
            sock.setblocking(False)
            slow.append(sock)
        flooder = socket.create_connection(("127.0.0.1", port))
        flooder.setblocking(False)
        line = b"f" * 10_000 + b"\n"
        peak, sent, results = base, 0, []
        ends = time.monotonic() + seconds
        try:
            while time.monotonic() < ends:
                senders = [flooder] if kind == "chat" else [*slow, flooder]  # select echo: each echoes to itself
                for sock in senders:
                    with contextlib.suppress(OSError):
                        sent += sock.send(line * 8)
                with contextlib.suppress(OSError):
                    while flooder.recv(1 << 20):  # the flooder reads what it is sent: only the slow ones lag
                        pass
                if len(results) < 40 and int((ends - time.monotonic()) * 4) % 2 == 0:
                    results.append(probe(kind, port))
                peak = max(peak, rss_mib(pid))
        finally:
            close_all([*slow, flooder])
        dropped = log.read_text(errors="replace").count("(dropped: more than")
    return (
        f"| {name} | {max_clients - 2} slow readers + 1 flooder, {seconds:g} s | {sent / 1e6:.0f} MB sent | "
        f"{dropped} dropped | RSS {base:.1f} MiB idle, {peak:.1f} MiB peak | {summary(results)} |"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--slow", type=int, default=256, help="slow clients (256)")
    p.add_argument("--flood", type=int, default=2000, help="idle connections (2000)")
    p.add_argument("--probes", type=int, default=20, help="normal requests per case (20)")
    p.add_argument("--seconds", type=float, default=6.0, help="length of the memory attack (6)")
    p.add_argument("--only", nargs="*", choices=list(SERVICES), help="services to measure (all)")
    p.add_argument("--address", help="measure the front servers of the lab running there instead (e.g. 127.0.0.1)")
    args = p.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.address:
        fronts_under_attack(args.address, args)
        return
    print("| service | attack | normal requests answered | median | worst |")
    print("|---|---|---|---|---|")
    for name in args.only or SERVICES:
        script, flags, kind = SERVICES[name]
        for row in under_attack(name, script, flags, kind, args):
            print(row, flush=True)
    print()
    print("| service | attack | flood | slow readers dropped | server memory | normal answered | median | worst |")
    print("|---|---|---|---|---|---|---|---|")
    for name, max_clients in (("select echo", 1024), ("chat", 256)):
        if not args.only or name in args.only:
            script, _, kind = SERVICES[name]
            print(memory(name, script, kind, max_clients, args.seconds), flush=True)


if __name__ == "__main__":
    main()
