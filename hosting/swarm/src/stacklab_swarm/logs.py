"""`./run swarm logs [SERVICE...] [-f] [--since WHEN] [-n N] [-t]`: the stack's logs, front and app together.

SERVICE is a catalog name (flask -> the swarm services STACK_flask-nginx and STACK_flask, every replica) or a
compose service; none: every service of the stack. `docker service logs` reads one service at a time, so each
runs beside the others and their lines interleave, each prefixed with its task (name.slot.id@node).
"""

import subprocess

from stacklab_core import catalog
from stacklab_core.logs import compose_services, log_options


def commands(args: list[str], stack: str) -> list[list[str]]:
    """The `docker service logs` command lines for ARGS, one per swarm service."""
    opts = log_options().parse_args(args)
    names = compose_services(opts.names) if opts.names else _every_service()
    flags = ["--follow"] * opts.follow + ["--timestamps"] * opts.timestamps
    flags += ["--since", opts.since] * bool(opts.since) + ["--tail", opts.tail] * bool(opts.tail)
    return [["docker", "service", "logs", *flags, f"{stack}_{name}"] for name in names]


def _every_service() -> list[str]:
    return list(dict.fromkeys(c for s in catalog.SERVICES.values() for c in s.compose_services))


def run(args: list[str], stack: str) -> int:
    """Run them side by side until all end (or Ctrl-C, which reaches them too); the worst exit status."""
    procs = [subprocess.Popen(argv) for argv in commands(args, stack)]
    try:
        return max(proc.wait() for proc in procs)
    except KeyboardInterrupt:
        for proc in procs:
            proc.terminate()
        return 130
