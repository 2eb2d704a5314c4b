"""Figures for the select echo and chat servers: many clients on 127.0.0.1, throughput, latency, server memory.

    uv run python bench/socket_servers.py [--echo-clients 1000] [--rounds 20] [--chat-clients 200] [--messages 5]

Starts each server from its console script on a free port, prints figures, asserts nothing.
"""

import argparse
import contextlib
import os
import resource
import selectors
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--echo-clients", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=20, help="echo round trips per client")
    p.add_argument("--chat-clients", type=int, default=200)
    p.add_argument("--messages", type=int, default=5, help="chat messages per client")
    args = p.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with running("stacklab-echo-select") as (port, pid):
        bench_echo(port, pid, args.echo_clients, args.rounds)
    with running("stacklab-chat-server") as (port, pid):
        bench_chat(port, pid, args.chat_clients, args.messages)


@contextlib.contextmanager
def running(script: str):
    """The server on a free 127.0.0.1 port; yields (port, pid)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Its log goes to /dev/null: logging to a file or the journal is not what is measured here.
    proc = subprocess.Popen([str(BIN / script), "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


def events(selector: selectors.BaseSelector) -> list:
    ready = selector.select(timeout=10)
    if not ready:
        raise SystemExit("no answer from the server within 10 s")
    return ready


def bench_echo(port: int, pid: int, clients: int, rounds: int) -> None:
    started = time.perf_counter()
    socks = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(clients)]
    connected = time.perf_counter() - started
    latencies = []
    with selectors.DefaultSelector() as selector:
        for sock in socks:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
        started = time.perf_counter()
        for r in range(rounds):  # every client sends, then all answers are awaited
            sent_at, waiting = time.perf_counter(), set(socks)
            for sock in socks:
                sock.send(f"round {r}".encode())
            while waiting:
                for key, _ in events(selector):
                    key.fileobj.recv(4096)
                    waiting.discard(key.fileobj)
                    latencies.append(time.perf_counter() - sent_at)
        elapsed = time.perf_counter() - started
    rss = peak_rss(pid)
    for sock in socks:
        sock.close()
    print(f"select echo: {clients} clients connected in {connected:.2f} s")
    print(f"  {clients * rounds} round trips in {elapsed:.2f} s = {clients * rounds / elapsed:,.0f}/s")
    print(f"  latency in a burst of {clients}: {quantiles(latencies)}; server peak RSS {rss}")


def bench_chat(port: int, pid: int, clients: int, messages: int) -> None:
    socks = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(clients)]
    time.sleep(0.5)  # everyone in the room before the first message
    expected = clients * messages
    lines = dict.fromkeys(socks, 0)
    with selectors.DefaultSelector() as selector:
        for sock in socks:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
        started = time.perf_counter()
        for m in range(messages):
            for sock in socks:
                sock.send(f"message {m}\n".encode())
        done = 0
        while done < clients:
            for key, _ in events(selector):
                lines[key.fileobj] += key.fileobj.recv(262144).count(b"\n")
                if lines[key.fileobj] >= expected:
                    selector.unregister(key.fileobj)
                    done += 1
        elapsed = time.perf_counter() - started
    rss = peak_rss(pid)
    for sock in socks:
        sock.close()
    print(f"chat: {clients} clients x {messages} messages = {expected} messages, {expected * clients:,} deliveries")
    print(
        f"  all delivered in {elapsed:.2f} s = {expected * clients / elapsed:,.0f} deliveries/s; server peak RSS {rss}"
    )


def quantiles(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=100)
    return f"p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"


def peak_rss(pid: int) -> str:
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return "n/a"
    return next(
        (line.split(":", 1)[1].strip() for line in status.read_text().splitlines() if line.startswith("VmHWM")), "n/a"
    )


if __name__ == "__main__":
    os.environ.setdefault("ECHO_PREFIX", "bench")
    main()
