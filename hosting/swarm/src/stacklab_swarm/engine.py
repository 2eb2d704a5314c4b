"""The swarm's state: the one-node swarm and its database label, the stack's services and tasks, waiting until
they are healthy, and the status table."""

import json
import sys
import time

from stacklab_swarm.common import DB_LABEL, STACK, docker, log
from stacklab_swarm.stack_file import JOBS


def swarm_state() -> str:
    return docker("info", "--format", "{{.Swarm.LocalNodeState}}")


def ensure_swarm() -> None:
    """A one-node swarm when the engine is in none; the database label on this node when no node has it."""
    if swarm_state() != "active":
        log("turning this engine into a one-node swarm (docker swarm init --advertise-addr 127.0.0.1)")
        docker("swarm", "init", "--advertise-addr", "127.0.0.1")
    labelled = docker("node", "ls", "--filter", f"node.label={DB_LABEL}=true", "--quiet")
    if not labelled:
        log(f"labelling this node {DB_LABEL}=true (PostgreSQL's place)")
        docker("node", "update", "--label-add", f"{DB_LABEL}=true", docker("info", "--format", "{{.Swarm.NodeID}}"))


def services() -> list[dict]:
    out = docker("service", "ls", "--filter", f"label=com.docker.stack.namespace={STACK}", "--format", "{{json .}}")
    return [json.loads(line) for line in out.splitlines()]


def tasks(service: str) -> list[dict]:
    out = docker("service", "ps", "--no-trunc", "--format", "{{json .}}", service, check=False)
    return [json.loads(line) for line in out.splitlines()]


def healthy_containers(service: str) -> int:
    out = docker(
        "ps", "--quiet", "--filter", f"label=com.docker.swarm.service.name={service}", "--filter", "health=healthy"
    )
    return len(out.split())


def update_state(service: str) -> str:
    """updating, completed, rollback_started, rollback_completed, ... or "" (never updated)."""
    return docker("service", "inspect", "--format", "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}", service)


def unready() -> list[str]:
    """Services not yet at their replica count with every replica healthy, or amid an update; a job until it has
    completed."""
    waiting = []
    for svc in services():
        name = svc["Name"]
        running, _, wanted = svc["Replicas"].partition("/")
        if name.removeprefix(f"{STACK}_") in JOBS:
            if not any(t["CurrentState"].startswith("Complete") for t in tasks(name)):
                waiting.append(f"{name} (not completed)")
        elif running != wanted or healthy_containers(name) < int(wanted.split()[0]):
            waiting.append(f"{name} {svc['Replicas']}")
        elif (state := update_state(name)) in ("updating", "rollback_started"):
            waiting.append(f"{name} ({state})")
    return waiting


def wait(timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while waiting := unready():
        if time.monotonic() > deadline:
            status()
            sys.exit(f"swarm: not healthy after {timeout:.0f} s: {', '.join(waiting)}")
        time.sleep(2)


def status() -> None:
    """Each service's replicas and host-mode ports (which `docker stack services` leaves blank), then its tasks."""
    listed = services()
    if not listed:
        print(f"no stack {STACK}")
        return
    specs = {s["Spec"]["Name"]: s for s in json.loads(docker("service", "inspect", *(s["Name"] for s in listed)))}
    print(f"{'SERVICE':<28}{'REPLICAS':<10}PORTS (host mode, every interface)")
    for svc in sorted(listed, key=lambda s: s["Name"]):
        ports = specs[svc["Name"]]["Spec"].get("EndpointSpec", {}).get("Ports", [])
        published = ", ".join(f"{p['PublishedPort']}->{p['TargetPort']}/{p['Protocol']}" for p in ports)
        print(f"{svc['Name']:<28}{svc['Replicas']:<10}{published}")
    print(docker("stack", "ps", "--filter", "desired-state=running", "--format",
                 "table {{.Name}}\t{{.Node}}\t{{.CurrentState}}", STACK))  # fmt: skip
