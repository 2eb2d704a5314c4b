"""Figures for the compose stack: cold build of every image, warm `up --wait` to all healthy, image sizes, and the
whole stack's memory when idle. Prints them; asserts nothing.

    python3 bench/compose.py [--skip-cold-build] [--idle-seconds 30]

Needs what scripts/test-compose makes first: a Docker engine, debian:trixie-slim, build/wheelhouse, ./secrets.
The cold build uses `--no-cache` (the engine's cache for other projects is left alone); the stack is taken down at
the end, its volumes and images kept. Stdlib only.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "kB": 1000, "MB": 1000**2, "GB": 1000**3}


def compose(*args: str, capture: bool = False) -> str:
    done = subprocess.run(
        ["docker", "compose", *args],
        cwd=ROOT,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=None if capture else subprocess.DEVNULL,
    )
    return done.stdout or ""


def timed(*args: str) -> float:
    start = time.monotonic()
    compose(*args)
    return time.monotonic() - start


def mebibytes(text: str) -> float:
    """`docker stats` sizes such as 12.5MiB or 1.2GiB, in MiB."""
    for unit in sorted(UNITS, key=len, reverse=True):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * UNITS[unit] / (1 << 20)
    raise ValueError(f"unknown size {text!r}")


def image_sizes() -> dict[str, int]:
    images = sorted(set(compose("config", "--images", capture=True).split()))
    out = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{json .RepoTags}} {{.Size}}", *images],
        check=True,
        text=True,
        capture_output=True,
    ).stdout
    sizes = {}
    for line in out.splitlines():
        tags, size = line.rsplit(" ", 1)
        sizes[json.loads(tags)[0].removesuffix(":latest")] = int(size)
    return sizes


def idle_memory() -> dict[str, float]:
    """MiB per container, as `docker stats` counts it (usage less inactive page cache). Some engines report 0 B
    there (Docker 20.10 on some cgroup v1 hosts): then the same sum is read from the container's memory cgroup."""
    names = compose("ps", "--format", "{{.Name}}", capture=True).split()
    out = subprocess.run(
        ["docker", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", *names],
        check=True,
        text=True,
        capture_output=True,
    ).stdout
    usage = {name: mebibytes(used.split(" / ")[0]) for name, used in (line.split(" ", 1) for line in out.splitlines())}
    if any(usage.values()):
        return usage
    return {name: cgroup_memory(name) / (1 << 20) for name in names}


def cgroup_memory(name: str) -> int:
    cid = subprocess.check_output(["docker", "inspect", "--format", "{{.Id}}", name], text=True).strip()
    for folder, current in (
        (Path(f"/sys/fs/cgroup/memory/docker/{cid}"), "memory.usage_in_bytes"),  # v1, cgroupfs driver
        (Path(f"/sys/fs/cgroup/docker/{cid}"), "memory.current"),  # v2, cgroupfs driver
        (Path(f"/sys/fs/cgroup/system.slice/docker-{cid}.scope"), "memory.current"),  # v2, systemd driver
    ):
        if (folder / current).exists():
            stat = dict(line.split() for line in (folder / "memory.stat").read_text().splitlines())
            inactive = int(stat.get("total_inactive_file", stat.get("inactive_file", 0)))
            return int((folder / current).read_text()) - inactive
    raise RuntimeError(f"no memory figure for {name}: docker stats says 0 and no cgroup file is readable")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--skip-cold-build", action="store_true", help="reuse the build cache (no cold build figure)")
    p.add_argument("--idle-seconds", type=float, default=30, help="wait before measuring idle memory (30)")
    args = p.parse_args()
    engine = subprocess.check_output(["docker", "version", "--format", "{{.Server.Version}}"], text=True).strip()
    print(f"engine {engine}, {os.cpu_count()} cores", flush=True)

    if args.skip_cold_build:
        compose("build")
    else:
        print(f"cold build, all images (--no-cache):   {timed('build', '--no-cache'):7.1f} s", flush=True)
    compose("down")
    compose("up", "--detach", "--wait", "--wait-timeout", "600")  # first start may initialise the database
    compose("down")
    print(f"warm up --wait, all healthy:           {timed('up', '--detach', '--wait', '--wait-timeout', '600'):7.1f} s")

    print("image sizes:")
    sizes = image_sizes()
    for name, size in sorted(sizes.items()):
        print(f"  {name:<24} {size / 1e6:7.1f} MB")
    print("  (app images share the stacklab/python layers; debian:trixie-slim underlies all)")

    time.sleep(args.idle_seconds)
    memory = idle_memory()
    print(f"idle memory after {args.idle_seconds:g} s:")
    for name, mib in sorted(memory.items()):
        print(f"  {name:<28} {mib:7.1f} MiB")
    print(f"  {'whole stack':<28} {sum(memory.values()):7.1f} MiB ({len(memory)} containers)")
    compose("down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
