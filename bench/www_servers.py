"""Figures for the hand-written HTTP servers (echo_www, ws30): throughput, latency and memory on 127.0.0.1,
with and without silent clients holding connections open.

    uv run python bench/www_servers.py [--clients 16] [--requests 200] [--silent 16]

Starts each server from its console script on a free port, prints figures, asserts nothing.
"""

import argparse
import http.client
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv: list[str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / argv[0]), *argv[1:], "--host", "127.0.0.1", "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"{argv[0]} did not start")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def load(port: int, path: str, clients: int, requests: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def client() -> None:
        nonlocal errors
        for _ in range(requests):
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                conn.close()
                ok = response.status == 200
            except OSError:
                ok = False
            with lock:
                latencies.append(time.perf_counter() - started)
                errors += not ok

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, errors


def report(label: str, port: int, pid: int, path: str, args: argparse.Namespace) -> None:
    elapsed, latencies, errors = load(port, path, args.clients, args.requests)
    quantiles = statistics.quantiles(latencies, n=100)
    print(
        f"{label:<34} {len(latencies) / elapsed:8.0f} req/s  p50 {quantiles[49] * 1000:6.2f} ms  "
        f"p99 {quantiles[98] * 1000:7.2f} ms  errors {errors}  rss {rss_kib(pid) / 1024:.1f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--requests", type=int, default=200, help="requests per client (200)")
    parser.add_argument("--silent", type=int, default=16, help="connections that send nothing, held open (16)")
    args = parser.parse_args()
    ws30 = ["stacklab-ws30", "--demo", "--max-clients", "64"]
    servers = {
        "echo_www GET /hello": (["stacklab-echo-www", "--max-clients", "64"], "/hello"),
        "ws30 GET /winter_2012/index.html": (ws30, "/winter_2012/index.html"),
        "ws30 GET /winter_2012/ (listing)": (ws30, "/winter_2012/"),
    }
    for label, (argv, path) in servers.items():
        proc, port = start(argv)
        try:
            report(label, port, proc.pid, path, args)
            with ExitStack() as stack:
                for _ in range(args.silent):
                    stack.enter_context(socket.create_connection(("127.0.0.1", port)))
                report(f"  with {args.silent} silent clients", port, proc.pid, path, args)
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
