"""Figures for the swarm stack (docs/swarm.md): time from `scripts/swarm.py up` to every service healthy, a rolling
update's duration (Flask, 2 replicas, start-first, forced to new tasks), and requests/s through Flask's nginx with
1, 2 and 4 Flask replicas (wrk, loopback, published port). Prints them with the machine's core count; asserts
nothing.

    uv run python bench/swarm.py [--seconds 10] [--connections 32]

Needs the images built and ./secrets (`./run swarm up` once). Removes the stack (STACKLAB_STACK, default stacklab;
ports from stack.env or the environment) with its volumes, deploys it afresh, and leaves it up, Flask at 2
replicas. wrk's threads share the cores with nginx and gunicorn: on a small machine more replicas mostly add
contention.
"""

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from stacklab_testing import target  # the health suite's port plan: stack.env, overridden by the environment

ROOT = Path(__file__).resolve().parent.parent

STACK = os.environ.get("STACKLAB_STACK", "stacklab")
FLASK = f"{STACK}_flask"


def run(*argv: str) -> str:
    return subprocess.run(argv, cwd=ROOT, check=True, text=True, capture_output=True).stdout


def timed(*argv: str) -> float:
    start = time.monotonic()
    run(*argv)
    return time.monotonic() - start


def swarm(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "scripts" / "swarm.py"), *args]


def requests_per_second(port: int, seconds: int, connections: int) -> float:
    out = run("wrk", "--threads", "2", "--connections", str(connections), "--duration", f"{seconds}s",
              f"http://127.0.0.1:{port}/healthz")  # fmt: skip
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    port = target.load("swarm").port("FLASK_PORT")
    print(f"machine: {os.cpu_count()} cores; stack {STACK}; Flask's nginx on 127.0.0.1:{port}")

    run(*swarm("down", "--volumes"))
    print(f"fresh stack to all healthy (images built, swarm active): {timed(*swarm('up')):.0f} s")
    update = timed("docker", "service", "update", "--quiet", "--detach=false", "--force", "--no-resolve-image", FLASK)
    print(f"rolling update of flask (2 replicas, start-first, health-gated): {update:.0f} s")

    for replicas in (1, 2, 4):
        run("docker", "service", "scale", "--detach=false", f"{FLASK}={replicas}")
        run(*swarm("wait"))
        time.sleep(11)  # nginx re-resolves the replicas every 10 s
        rate = requests_per_second(port, args.seconds, args.connections)
        print(f"flask x{replicas} behind nginx: {rate:,.0f} requests/s (wrk, {args.connections} connections, "
              f"GET /healthz, {args.seconds} s)")  # fmt: skip
    run("docker", "service", "scale", "--detach=false", f"{FLASK}=2")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
