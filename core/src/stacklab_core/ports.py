"""The lab's port plan: every `*_PORT` of `stack.env` plus ECHO_PREFIX, as a dict of strings.

stack.env is the only place a port is written. `load()` reads a stack.env file (the `path` given, else
`$STACKLAB_ENV_FILE`, else the nearest `stack.env` above the working directory, if any), then, only when no path is
given, overlays the environment (compose and systemd hand the plan to a server as env vars, with no file).
"""

import os
from pathlib import Path

from .catalog import SERVICES
from .envfile import parse

# Settings of the plan besides the ports that the checks need.
SETTINGS = ("ECHO_PREFIX",)
# Ports of the plan that belong to no catalog service: the monitoring set's (ansible/roles/monitoring) and the apps'
# metrics server (nginx, for Prometheus alone), on a server's loopback only, never published.
MONITORING_PORTS = ("METRICS_PORT", "PROMETHEUS_PORT", "ALERTMANAGER_PORT", "NODE_EXPORTER_PORT", "BLACKBOX_PORT")


def plan_keys() -> tuple[str, ...]:
    """The keys the lab needs in a plan: every catalog service's port, then SETTINGS."""
    return (*(s.port_key for s in SERVICES.values()), *SETTINGS)


def load(path: str | os.PathLike | None = None) -> dict[str, str]:
    file = Path(path) if path is not None else _find_stack_env()
    plan = parse(file.read_text(), str(file)) if file is not None else {}
    if path is None:
        plan.update({key: os.environ[key] for key in (*plan, *plan_keys()) if os.environ.get(key)})
    return plan


def port(plan: dict[str, str], key: str) -> int:
    if key not in plan:
        raise ValueError(f"port plan: no {key} (stack.env, or the environment when there is no stack.env)")
    try:
        return int(plan[key])
    except ValueError:
        raise ValueError(f"port plan: {key} is {plan[key]!r}, not a port number") from None


def _find_stack_env() -> Path | None:
    if explicit := os.environ.get("STACKLAB_ENV_FILE"):
        return Path(explicit)
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "stack.env").is_file():
            return folder / "stack.env"
    return None
