#!/usr/bin/env python3
"""The lab as a Docker Swarm stack on the local engine: its stack file, generated from the compose file, and the
tasks `./run swarm` runs (docs/swarm.md).

    scripts/swarm.py config          print the stack file (also written to build/swarm/docker-stack.yml)
    scripts/swarm.py up              one-node swarm if the engine is in none, DB label, deploy, wait until healthy
    scripts/swarm.py status          every service's replicas and its tasks' states
    scripts/swarm.py wait            wait until every service has its replicas running and healthy
    scripts/swarm.py down [--volumes]  remove the stack (and its named volumes); the swarm stays
    scripts/swarm.py teardown        down --volumes, leave the swarm, restart dockerd (CI: the engine as before)
    scripts/swarm.py push            tag and push the stack's images to STACKLAB_REGISTRY (several nodes)

The stack file is `docker compose config` (the compose file resolved with stack.env: images, commands,
environment, secrets, healthchecks, limits) turned into what `docker stack deploy` reads (compose format 3.9): no
build, depends_on, profiles or top-level name; limits under deploy.resources; ports in host mode (this kernel has
no IPVS, so no routing mesh and no service VIPs: every service is endpoint_mode dnsrr); a `deploy` section per
service from the catalog (stacklab_core.catalog): the apps behind nginx run 2 replicas and update start-first, the
rest once and stop-first; PostgreSQL only on the node labelled stacklab.db=true. Each nginx front gets its site as
a swarm config, rendered from its own template with dynamic_upstream=true (scripts/render_conf.py, the values its
image uses: services/<name>/conf/nginx-site.env), so nginx follows the replicas.

Environment: STACKLAB_STACK (stack name, default stacklab); any stack.env port key publishes on that port instead
(the containers keep stack.env's: a host-mode port maps published -> target); STACKLAB_REGISTRY (host:port): the
stack's images are named there, as every node of a multi-node swarm must pull them (`push` puts them there).
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from stacklab_core import envfile
from stacklab_core.catalog import SERVICES as CATALOG

ROOT = Path(__file__).resolve().parent.parent

BUILD = ROOT / "build" / "swarm"
STACK_FILE = BUILD / "docker-stack.yml"
STACK = os.environ.get("STACKLAB_STACK", "stacklab")
REGISTRY = os.environ.get("STACKLAB_REGISTRY", "").rstrip("/")
DB_LABEL = "stacklab.db"
# The stateless apps behind an nginx: replicated, updated start-first (a new task healthy before an old one stops).
APPS = {s.app: s for s in CATALOG.values() if s.app}
FRONTS = {s.container: s for s in CATALOG.values() if s.app}
JOBS = {job for s in CATALOG.values() for job in s.jobs}
APP_REPLICAS = 2
# Keys swarm reads as the compose file has them (after `docker compose config`).
KEPT = ("image", "command", "entrypoint", "environment", "healthcheck", "read_only", "cap_drop", "logging", "ulimits")
# How long after a task's update swarm watches it for failure before the next counts as done. A task with a
# healthcheck only counts as running once healthy, so start-first already waits for health; this adds a margin.
MONITOR = "10s"
# Between one replica's update and the next: longer than nginx's DNS cache (valid=10s in the sites), so nginx
# knows the new replica's address before the last old one stops, and never holds only dead addresses.
NEXT_REPLICA_DELAY = "12s"


def log(message: str) -> None:
    print(f"swarm: {message}", flush=True)


def docker(*args: str, check: bool = True, capture: bool = True) -> str:
    done = subprocess.run(["docker", *args], capture_output=capture, text=True, check=False)
    if check and done.returncode != 0:
        sys.exit(f"swarm: docker {' '.join(args)} failed: {(done.stderr or '').strip()}")
    return (done.stdout or "").strip()


# --- the port plan ------------------------------------------------------------------------------------------------


def port_plans() -> tuple[dict[str, str], dict[str, str]]:
    """(inside, published): stack.env with .env (what the containers listen on, as in compose), and the same with
    the environment's values on top (where swarm publishes them)."""
    inside = envfile.read(ROOT / "stack.env")
    if (ROOT / ".env").is_file():
        inside.update({k: v for k, v in envfile.read(ROOT / ".env").items() if k in inside})
    published = {k: os.environ.get(k) or v for k, v in inside.items()}
    return inside, published


def compose_config(inside: dict[str, str]) -> dict:
    """The compose file resolved, with the containers' side of the port plan (the environment's ports removed)."""
    env = {k: v for k, v in os.environ.items() if k not in inside}
    compose = ["docker", "compose", "--project-directory", str(ROOT), "--file", str(ROOT / "docker-compose.yml")]
    out = subprocess.run([*compose, "config", "--format", "json"], capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        sys.exit(f"swarm: docker compose config failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


# --- pieces of a service ------------------------------------------------------------------------------------------


def image_user(image: str) -> tuple[str, str]:
    """The numeric uid and gid the image runs as (a secret file is theirs, mode 0400, as compose's 0640 + group)."""
    user = docker("image", "inspect", "--format", "{{.Config.User}}", image) or "0:0"
    uid, _, gid = user.partition(":")
    if uid.isdigit() and (gid or uid).isdigit():
        return uid, gid or uid
    ids = docker("run", "--rm", "--entrypoint", "sh", image, "-c", "id -u; id -g").split()
    return ids[0], ids[1]


def ports(service: dict, inside: dict[str, str], published: dict[str, str]) -> list[dict]:
    """Host-mode ports (no routing mesh here): the container's port, published where the plan says."""
    key_of = {value: key for key, value in inside.items() if key.endswith("_PORT")}
    result = []
    for port in service.get("ports", []):
        target = int(port["target"])
        result.append(
            {
                "target": target,
                "published": int(published[key_of[str(target)]]),
                "protocol": port.get("protocol", "tcp"),
                "mode": "host",
            }
        )
    return result


def site(front: str, inside: dict[str, str]) -> tuple[Path, str]:
    """The front's nginx site with dynamic_upstream=true, rendered from its template with the values its image
    uses (services/<name>/conf/nginx-site.env) and to the path its Dockerfile copies it to: (file on the host,
    path in the container)."""
    conf = ROOT / "services" / FRONTS[front].stack / "conf"
    dockerfile = conf.parent / "Dockerfile"
    dest = re.search(r"^COPY --from=site /site\.conf (\S+)$", dockerfile.read_text(), re.M)
    if not dest:
        sys.exit(f"swarm: {dockerfile.relative_to(ROOT)}: no `COPY --from=site /site.conf` to replace")
    output = BUILD / f"{front}.conf"
    env = {k: v for k, v in os.environ.items() if k not in inside}  # the port nginx listens on is the container's
    render = [sys.executable, str(ROOT / "scripts" / "render_conf.py"), str(conf / "nginx-site.conf.j2"), str(output)]
    subprocess.run(
        [*render, "--vars", str(conf / "nginx-site.env"), "--set", "dynamic_upstream=true"], env=env, check=True
    )
    return output, dest.group(1)


def deploy(name: str, service: dict) -> dict:
    """Replicas, placement, limits, restart and update policy of one service."""
    section: dict = {"endpoint_mode": "dnsrr", "replicas": APP_REPLICAS if name in APPS else 1}
    if "mem_limit" in service:
        section["resources"] = {"limits": {"memory": f"{int(service['mem_limit']) // 2**20}M"}}
    if name in JOBS:  # one-shot: runs until it has succeeded once (swarm has no depends_on; it retries)
        section["restart_policy"] = {"condition": "on-failure", "delay": "5s"}
        return section
    section["restart_policy"] = {"condition": "any", "delay": "2s"}
    # Apps publish no port: a new task starts beside the old one. A host-mode port can be held by one task per
    # node, so its owner must stop first (on one node: a gap; docs/swarm.md).
    order = "start-first" if name in APPS else "stop-first"
    delay = NEXT_REPLICA_DELAY if name in APPS else "0s"
    update = {"parallelism": 1, "delay": delay, "order": order, "failure_action": "rollback", "monitor": MONITOR}
    section["update_config"] = update
    section["rollback_config"] = {"parallelism": 1, "delay": delay, "order": order, "monitor": MONITOR}
    if "volumes" in service and any(v["source"] == "django-db" for v in service["volumes"]):
        section["placement"] = {"constraints": [f"node.labels.{DB_LABEL} == true"]}
    return section


def stack_file() -> dict:
    """The stack file: every long-running service and job of the compose file, in swarm's terms."""
    BUILD.mkdir(parents=True, exist_ok=True)
    inside, published = port_plans()
    config = compose_config(inside)
    services, configs = {}, {}
    for name, service in config["services"].items():
        if service.get("scale") == 0:  # the base images: built, never run
            continue
        out = {key: service[key] for key in KEPT if service.get(key) is not None}
        if REGISTRY:
            out["image"] = f"{REGISTRY}/{service['image']}"
        if service.get("ports"):
            out["ports"] = ports(service, inside, published)
        mounts = [{"type": "tmpfs", "target": path} for path in service.get("tmpfs", [])]
        if service.get("shm_size"):  # swarm has no shm_size: a tmpfs of that size on /dev/shm
            mounts.append({"type": "tmpfs", "target": "/dev/shm", "tmpfs": {"size": int(service["shm_size"])}})  # noqa: S108
        mounts += [
            {"type": v["type"], "source": v["source"], "target": v["target"]} for v in service.get("volumes", [])
        ]
        if mounts:
            out["volumes"] = mounts
        if service.get("secrets"):
            uid, gid = image_user(service["image"])
            out["secrets"] = [
                {"source": s["source"], "target": Path(s["target"]).name, "uid": uid, "gid": gid, "mode": 0o400}
                for s in service["secrets"]
            ]
        if name in FRONTS:
            file, path = site(name, inside)
            digest = hashlib.sha256(file.read_bytes()).hexdigest()[:12]  # a config cannot change: a new name
            config_name = f"{name}-site-{digest}"
            configs[config_name] = {"file": str(file)}
            out["configs"] = [{"source": config_name, "target": path, "mode": 0o444}]
            # A variable proxy_pass has no upstream keep-alive: a connection per request, each leaving a TIME-WAIT
            # socket. At 1,500 requests/s they fill the ephemeral port range within 20 s and connect() stalls;
            # reusing TIME-WAIT ports for new outgoing connections (safe with TCP timestamps) keeps the rate.
            out["sysctls"] = {"net.ipv4.tcp_tw_reuse": 1}
        out["deploy"] = deploy(name, service)
        services[name] = out
    return {
        "version": "3.9",
        "services": services,
        "networks": {"default": {"driver": "overlay"}},
        "volumes": {name: {} for name in config.get("volumes", {})},
        "secrets": {name: {"file": s["file"]} for name, s in config.get("secrets", {}).items()},
        "configs": configs,
    }


def write_stack_file() -> Path:
    STACK_FILE.parent.mkdir(parents=True, exist_ok=True)
    # JSON is YAML: `docker stack deploy` reads it, and no YAML library is needed.
    STACK_FILE.write_text(json.dumps(stack_file(), indent=2) + "\n")
    return STACK_FILE


# --- the swarm's state --------------------------------------------------------------------------------------------


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


# --- the tasks ----------------------------------------------------------------------------------------------------


def up() -> None:
    start = time.monotonic()
    ensure_swarm()
    file = write_stack_file()
    log(f"deploying stack {STACK} from {file.relative_to(ROOT)}")
    auth = ["--with-registry-auth"] if REGISTRY else []  # the nodes pull with the manager's login
    deploy = ["stack", "deploy", "--prune", "--resolve-image", "never", *auth]  # no --detach: CLI 20.10 lacks it
    docker(*deploy, "--compose-file", str(file), STACK, capture=False)
    wait()
    status()
    log(f"every service healthy in {time.monotonic() - start:.0f} s")


def push() -> None:
    """Every image the stack runs, tagged and pushed under STACKLAB_REGISTRY."""
    if not REGISTRY:
        sys.exit("swarm: set STACKLAB_REGISTRY=host:port (docs/swarm.md, several nodes)")
    for image in sorted({service["image"] for service in stack_file()["services"].values()}):
        docker("tag", image.removeprefix(f"{REGISTRY}/"), image)
        docker("push", "--quiet", image, capture=False)


def down(volumes: bool) -> None:
    if swarm_state() == "active" and services():
        docker("stack", "rm", STACK, capture=False)
    # stack rm returns before the containers are gone; volumes and the network are freed only then.
    for _ in range(60):
        if not docker("ps", "--all", "--quiet", "--filter", f"label=com.docker.stack.namespace={STACK}"):
            break
        time.sleep(1)
    if volumes:
        names = docker("volume", "ls", "--quiet", "--filter", f"label=com.docker.stack.namespace={STACK}").split()
        if names:
            docker("volume", "rm", *names)
            log(f"removed volumes {' '.join(names)}")


def teardown() -> None:
    """The engine as before `up`: no stack, no swarm. Leaving breaks name resolution in running compose containers
    on Docker 20.10 until dockerd restarts, so dockerd restarts too (scripts/docker-engine --restart)."""
    down(volumes=True)
    if swarm_state() == "active":
        log("leaving the swarm and restarting dockerd (Docker 20.10 loses container DNS on leave)")
        docker("swarm", "leave", "--force")
        subprocess.run([str(ROOT / "scripts" / "docker-engine"), "--restart"], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=("config", "up", "status", "wait", "down", "teardown", "push"))
    parser.add_argument("--volumes", action="store_true", help="down: remove the stack's named volumes too")
    args = parser.parse_args(argv)
    if args.task == "config":
        print(write_stack_file().read_text(), end="")
    elif args.task == "up":
        up()
    elif args.task == "status":
        status()
    elif args.task == "wait":
        wait()
    elif args.task == "down":
        down(args.volumes)
    elif args.task == "push":
        push()
    else:
        teardown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
