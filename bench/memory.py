"""Memory of each lab unit on a converged server (stand-in or VM), against the 1 GB a small VM has (issue 14).

    uv run python bench/memory.py HOST [--ssh-config FILE] [--address ADDR] [--rounds 20]

HOST is an ssh destination (a Host of the ssh_config, e.g. stacklab-vm with hosting/cache/ssh/config). Reads
`systemctl show -p MemoryCurrent,MemoryPeak,MemoryMax` of every stacklab-* service and of nginx, Apache,
PostgreSQL, sshd and fail2ban, and the summed RSS of each unit's processes (ps; shared pages counted once per
process), once idle, then after load, when --address (where the lab's ports answer, e.g.
127.0.0.2) is given: --rounds times every service's health check (stacklab_core.checks, each service's own
protocol) and a few pages of each web app. The monitoring set (Prometheus, Alertmanager, the node and blackbox
exporters: ansible/roles/monitoring) is summed apart against its budget (issue 22: 150 MiB resident, 2 % CPU at
idle), its CPU sampled over --cpu-seconds from /proc before any load. The cgroup's
MemoryCurrent counts the page cache its processes caused too (under cgroup v1 all of it); MemoryPeak, the most
since the unit started, needs cgroup v2. Prints a markdown table; asserts nothing.
"""

import argparse
import contextlib
import subprocess
import sys
import time
import urllib.error
import urllib.request

from stacklab_core import ports

MONITORING = [
    "prometheus.service",
    "prometheus-alertmanager.service",
    "prometheus-node-exporter.service",
    "prometheus-blackbox-exporter.service",
]
MONITORING_MIB, MONITORING_CPU = 150, 2.0  # the budget: resident MiB, % of one CPU at idle
CLOCK_TICKS = 100  # /proc/PID/stat's unit of CPU time (USER_HZ, 100 on Linux)
OTHERS = [
    *MONITORING,
    "nginx.service",
    "apache2.service",
    "postgresql@17-main.service",
    "ssh.service",
    "fail2ban.service",
]
VM_MIB = 1024
PAGES = {  # stack.env port key -> pages a visitor opens (beyond the health checks)
    "CGI_PORT": ["/cgi-bin/echo_cgi.py?message=Hello"],
    "WSGI_PORT": ["/echo_wsgi.py?message=Hi", "/history"],
    "FLASK_PORT": ["/echo_flask.py?message=Hello", "/messages", "/detail/id3"],
    "DJANGO_PORT": ["/books/", "/mailing_list/name_list/", "/admin/login/"],
    "LAB_PORT": ["/", "/status.json"],
}


def remote(args, command: str) -> str:
    ssh = ["ssh", *(["-F", args.ssh_config] if args.ssh_config else []), "-o", "BatchMode=yes", args.host]
    return subprocess.run([*ssh, command], check=True, capture_output=True, text=True).stdout


def units(args) -> list[str]:
    """Every stacklab service loaded on the server, then the others it has."""
    listed = remote(
        args, "systemctl list-units --type=service --all --plain --no-legend 'stacklab-*' " + " ".join(OTHERS)
    )
    loaded = [line.split()[0] for line in listed.splitlines() if line.split()[1:2] == ["loaded"]]
    return sorted(u for u in loaded if u.startswith("stacklab-")) + [u for u in OTHERS if u in loaded]


def mib(value: str) -> float | None:
    """systemd's bytes as MiB; None when not set or unlimited."""
    return int(value) / 2**20 if value.isdigit() else None


def memory(args, names: list[str]) -> dict[str, dict[str, float | None]]:
    out = remote(args, "systemctl show -p Id,MemoryCurrent,MemoryPeak,MemoryMax " + " ".join(names))
    result = {}
    for block in out.strip().split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines())
        result[props["Id"]] = {k: mib(props.get(k, "")) for k in ("MemoryCurrent", "MemoryPeak", "MemoryMax")}
    return result


def rss(args) -> dict[str, float]:
    """unit -> the summed resident memory of its processes, in MiB (shared pages counted in each process)."""
    totals: dict[str, float] = {}
    for line in remote(args, "ps -e -o unit=,rss=").splitlines():
        unit, _, kib = line.rpartition(" ")
        totals[unit.strip()] = totals.get(unit.strip(), 0) + int(kib) / 1024
    return totals


def load(address: str, rounds: int) -> float:
    """Every health check and the PAGES, `rounds` times; returns the seconds it took."""
    plan = ports.load()
    t0 = time.monotonic()
    for _ in range(rounds):
        subprocess.run(
            [sys.executable, "-m", "stacklab_core.checks", "--target", address], check=False, capture_output=True
        )
        for key, paths in PAGES.items():
            for path in paths:
                # A redirect to the login or a 404 costs the server the request all the same.
                with contextlib.suppress(urllib.error.HTTPError):
                    urllib.request.urlopen(f"http://{address}:{ports.port(plan, key)}{path}", timeout=10).read()
    return time.monotonic() - t0


def sample(args, names: list[str]) -> tuple[int, float]:
    """(CPU clock ticks used so far, anonymous resident MiB) summed over the units' main processes, from /proc
    (the stand-ins have no CPU accounting: CPUUsageNSec is not set). Each monitoring unit is one Go process."""
    pids = remote(args, "systemctl show -p MainPID --value " + " ".join(names)).split()
    out = remote(
        args,
        "for p in " + " ".join(pids) + "; do echo $(cut -d' ' -f14,15 /proc/$p/stat)"
        " $(awk '/^RssAnon:/ {print $2}' /proc/$p/status); done",
    )
    ticks, anon = 0, 0.0
    for line in out.splitlines():
        utime, stime, kib = line.split()
        ticks, anon = ticks + int(utime) + int(stime), anon + int(kib) / 1024
    return ticks, anon


def idle_cost(args, names: list[str], seconds: float) -> tuple[float, float]:
    """(% of one CPU over `seconds`, anonymous resident MiB) of the units at idle."""
    before, _ = sample(args, names)
    time.sleep(seconds)
    after, anon = sample(args, names)
    return 100 * (after - before) / CLOCK_TICKS / seconds, anon


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("host")
    parser.add_argument("--ssh-config")
    parser.add_argument("--address", help="where the lab's ports answer; without it, idle figures only")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--cpu-seconds", type=float, default=60, help="the idle CPU sample of the monitoring set")
    args = parser.parse_args()

    names = units(args)
    idle, idle_rss = memory(args, names), rss(args)
    watching = [u for u in MONITORING if u in names]
    idle_cpu, idle_anon = idle_cost(args, watching, args.cpu_seconds) if watching else (None, None)
    loaded, loaded_rss, seconds = {}, {}, None
    if args.address:
        seconds = load(args.address, args.rounds)
        loaded, loaded_rss = memory(args, names), rss(args)

    columns = [("idle", idle, idle_rss)] + ([("after load", loaded, loaded_rss)] if loaded else [])
    print("| unit | MemoryMax | " + " | ".join(f"cgroup {c}, RSS {c}" for c, _, _ in columns) + " | peak |")
    print("|---|---|" + "---|" * len(columns) + "---|")
    sums = {c: [0.0, 0.0] for c, _, _ in columns}
    for name in names:
        cells = []
        for c, cgroup, processes in columns:
            current, resident = cgroup[name]["MemoryCurrent"], processes.get(name, 0.0)
            sums[c][0] += current or 0
            sums[c][1] += resident
            cells.append(f"{fmt(current)}, {resident:.1f}")
        peak = (loaded or idle)[name]["MemoryPeak"]
        print(
            f"| {name.removesuffix('.service')} | {fmt(idle[name]['MemoryMax'])} | {' | '.join(cells)} | {fmt(peak)} |"
        )
    ceilings = [m["MemoryMax"] for m in idle.values()]
    print(
        f"| **total** ({len(names)} units) | {sum(c for c in ceilings if c is not None):.0f} "
        f"(+ {ceilings.count(None)} unlimited) | " + " | ".join(f"{a:.1f}, {b:.1f}" for a, b in sums.values()) + " | |"
    )
    print(
        f"\nMiB. Of a {VM_MIB} MiB VM, by RSS: "
        + ", ".join(f"{100 * b / VM_MIB:.0f} % {c}" for c, (_, b) in sums.items())
    )
    if watching:
        resident = sum(idle_rss.get(u, 0.0) for u in watching)
        print(
            f"Monitoring set ({len(watching)} units), idle: RSS {resident:.1f} MiB, of which anonymous "
            f"{idle_anon:.1f} MiB (the rest: the binaries' code, file pages the kernel can drop) "
            f"(target <= {MONITORING_MIB} MiB); CPU {idle_cpu:.2f} % of one CPU over {args.cpu_seconds:.0f} s "
            f"(target <= {MONITORING_CPU} %)."
        )
    if seconds is not None:
        print(
            f"Load: {args.rounds} rounds of every health check and {sum(map(len, PAGES.values()))} pages "
            f"against {args.address}, {seconds:.1f} s."
        )


if __name__ == "__main__":
    main()
