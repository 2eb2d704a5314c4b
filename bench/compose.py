"""Figures for the compose stack, each next to its target (issue 13): cold build of every image, warm `up --wait` to
all healthy, image sizes, the nginx fronts' throughput beside bare gunicorn's, and the whole stack's memory when
idle. Prints them; asserts nothing.

    python3 bench/compose.py [--skip-cold-build] [--up-runs 3] [--front-rounds 3] [--front-seconds 5]
                             [--idle-seconds 30]

Needs what scripts/test-compose makes first: a Docker engine, debian:trixie-slim, build/wheelhouse, ./secrets,
and wrk (apt) for the front figures. The project is compose's own choice (COMPOSE_PROJECT_NAME, else stacklab).
The cold build uses `--no-cache` (the engine's cache for other projects is left alone); the stack is taken down at
the end, its volumes and images kept. Stdlib only.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UP_TARGET_S = 10.0  # warm `up --wait`, all healthy
IMAGE_TARGET_MB = 150.0  # each image built on stacklab/python
FRONT_TARGET = 0.90  # nginx front / bare gunicorn, requests per second
# What the front figures load: (label, app service, its gunicorn port, front service, path). The Host header is one
# both apps accept (Django checks ALLOWED_HOSTS), so front and bare answer the same page.
FRONTS = (
    ("Flask GET /detail/id3", "flask", 8000, "flask-nginx", "/detail/id3"),
    ("Django GET /accounts/login/", "django", 8000, "django-nginx", "/accounts/login/"),
)
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


def python_images(names: list[str]) -> set[str]:
    """The images built on stacklab/python: their layers start with its layers."""
    base = json.loads(subprocess.check_output(["docker", "image", "inspect", "stacklab/python"], text=True))
    base_layers = base[0]["RootFS"]["Layers"]
    found = set()
    for image in json.loads(subprocess.check_output(["docker", "image", "inspect", *names], text=True)):
        if image["RootFS"]["Layers"][: len(base_layers)] == base_layers:
            found.add(image["RepoTags"][0].removesuffix(":latest"))
    return found


def container(service: str) -> tuple[str, str]:
    """The service's container: its address on the project network and its first published (or only) port."""
    name = compose("ps", "--format", "{{.Name}}", service, capture=True).split()[0]
    info = json.loads(subprocess.check_output(["docker", "inspect", name], text=True))[0]
    address = next(iter(info["NetworkSettings"]["Networks"].values()))["IPAddress"]
    ports = list(info["HostConfig"]["PortBindings"] or {})
    return address, ports[0].split("/")[0] if ports else ""


def wrk(url: str, seconds: float) -> tuple[float, int]:
    """Requests per second from wrk (2 threads, 16 connections), and how many requests failed or timed out."""
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds:g}s", "--timeout", "10s", "-H", "Host: localhost", url],
        check=True,
        text=True,
        capture_output=True,
    ).stdout
    counts = re.findall(r"Non-2xx or 3xx responses: (\d+)", out)
    counts += re.findall(r"(?:connect|read|write|timeout) (\d+)", out)  # wrk's "Socket errors:" line
    failed = sum(map(int, counts))
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), failed


def front_figures(rounds: int, seconds: float) -> None:
    """Front and bare alternate, round after round, so that a busy machine slows both alike."""
    print(f"nginx front vs bare gunicorn (wrk -c16 at container addresses, {rounds} rounds of {seconds:g} s each,")
    print(f"alternating; target: front at least {FRONT_TARGET:.2f}x bare):")
    for label, app, app_port, front, path in FRONTS:
        app_address, _ = container(app)
        front_address, front_port = container(front)
        bare_url, front_url = f"http://{app_address}:{app_port}{path}", f"http://{front_address}:{front_port}{path}"
        wrk(bare_url, 1), wrk(front_url, 1)  # warm both (worker threads, upstream connections)
        bare, fronted, failed = [], [], 0
        for _ in range(rounds):
            for url, figures in ((bare_url, bare), (front_url, fronted)):
                rate, errors = wrk(url, seconds)
                figures.append(rate)
                failed += errors
        ratio = statistics.median(fronted) / statistics.median(bare)
        rounds_text = " ".join(f"{f / b:.2f}" for b, f in zip(bare, fronted, strict=True))
        verdict = "meets" if ratio >= FRONT_TARGET else "MISSES"
        print(
            f"  {label:<28} bare {statistics.median(bare):6.0f} req/s  front {statistics.median(fronted):6.0f} req/s"
            f"  ratio {ratio:.2f} (rounds {rounds_text}), target >= {FRONT_TARGET:.2f}: {verdict}"
            + (f"  ({failed} requests failed)" if failed else ""),
            flush=True,
        )


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
    p.add_argument("--up-runs", type=int, default=3, help="warm up --wait runs (3)")
    p.add_argument("--front-rounds", type=int, default=3, help="alternating wrk rounds per page (3)")
    p.add_argument("--front-seconds", type=float, default=5, help="length of each wrk run (5)")
    p.add_argument("--idle-seconds", type=float, default=30, help="wait before measuring idle memory (30)")
    args = p.parse_args()
    engine = subprocess.check_output(["docker", "version", "--format", "{{.Server.Version}}"], text=True).strip()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"engine {engine}, {os.cpu_count()} cores, load average {load} (a busy machine slows every figure)")

    if args.skip_cold_build:
        compose("build")
    else:
        print(f"cold build, all images (--no-cache):   {timed('build', '--no-cache'):7.1f} s", flush=True)
    compose("down")
    compose("up", "--detach", "--wait", "--wait-timeout", "600")  # first start may initialise the database
    ups = []
    for _ in range(args.up_runs):
        compose("down")
        ups.append(timed("up", "--detach", "--wait", "--wait-timeout", "600"))
    runs = " ".join(f"{t:.1f}" for t in ups)
    verdict = "meets" if statistics.median(ups) <= UP_TARGET_S else "MISSES"
    print(
        f"warm up --wait, all healthy:           {statistics.median(ups):7.1f} s median (runs {runs}),"
        f" target <= {UP_TARGET_S:g} s: {verdict}",
        flush=True,
    )

    print(f"image sizes (target for the images on stacklab/python: <= {IMAGE_TARGET_MB:g} MB):")
    sizes = image_sizes()
    on_python = python_images(sorted(sizes))
    for name, size in sorted(sizes.items()):
        mark = ""
        if name in on_python:
            mark = "meets" if size / 1e6 <= IMAGE_TARGET_MB else "MISSES"
        print(f"  {name:<24} {size / 1e6:7.1f} MB  {mark}")
    print("  (app images share the stacklab/python layers; debian:trixie-slim underlies all)", flush=True)

    if shutil.which("wrk"):
        front_figures(args.front_rounds, args.front_seconds)
    else:
        print("nginx front vs bare gunicorn: skipped, no wrk (apt-get install wrk)")

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
