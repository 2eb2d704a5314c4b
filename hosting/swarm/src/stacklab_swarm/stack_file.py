"""The stack file: every long-running service and job of the resolved compose file, in swarm's terms, with a
deploy section per service from the catalog."""

import hashlib
import json
from pathlib import Path

from stacklab_core.catalog import SERVICES as CATALOG

from stacklab_swarm.common import BUILD, DB_LABEL, REGISTRY, STACK_FILE, docker
from stacklab_swarm.plan import compose_config, port_plans
from stacklab_swarm.sites import FRONTS, site

# The stateless apps behind an nginx: replicated, updated start-first (a new task healthy before an old one stops).
APPS = {s.app: s for s in CATALOG.values() if s.app}
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


def attachments(service: dict) -> dict:
    """Its networks as compose has them (the catalog's segments, docs/compose.md), with their aliases."""
    nets = service.get("networks") or {"default": None}
    return {net: {"aliases": a["aliases"]} if (a or {}).get("aliases") else None for net, a in nets.items()}


def overlays(config: dict, services: dict) -> dict:
    """The networks the services use, as overlays, internal where compose's are (no way out, no published port).
    Attachable: a one-off container (`docker run --network`) can join one to look around, as on compose's bridges."""
    declared = config.get("networks") or {}
    used = dict.fromkeys(net for service in services.values() for net in service["networks"])
    return {
        name: {
            "driver": "overlay",
            "attachable": True,
            **({"internal": True} if declared.get(name, {}).get("internal") else {}),
        }
        for name in used
    }


def stack_file() -> dict:
    """The stack file: every long-running service and job of the compose file, in swarm's terms."""
    BUILD.mkdir(parents=True, exist_ok=True)
    inside, published = port_plans()
    return from_compose(compose_config(inside), inside, published)


def from_compose(config: dict, inside: dict[str, str], published: dict[str, str]) -> dict:
    """The stack file of a resolved compose file (`docker compose config --format json`) and the port plans."""
    services, configs = {}, {}
    for name, service in config["services"].items():
        if service.get("scale") == 0:  # the base images: built, never run
            continue
        out = {key: service[key] for key in KEPT if service.get(key) is not None}
        if named_bind(out.get("environment", {})):
            out["environment"] = {**out["environment"], "GUNICORN_BIND": named_bind(out["environment"])}
        if REGISTRY:
            out["image"] = f"{REGISTRY}/{service['image']}"
        if service.get("ports"):
            out["ports"] = ports(service, inside, published)
        mounts = [{"type": "tmpfs", "target": path} for path in service.get("tmpfs", [])]
        if service.get("shm_size"):  # swarm has no shm_size: a tmpfs of that size on /dev/shm
            mounts.append({"type": "tmpfs", "target": "/dev/shm", "tmpfs": {"size": int(service["shm_size"])}})  # noqa: S108
        mounts += [  # not the host's folders (`./run try`'s records, a compose-only lab feature)
            {"type": v["type"], "source": v["source"], "target": v["target"]}
            for v in service.get("volumes", [])
            if v["type"] != "bind"
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
        out["networks"] = attachments(service)
        out["deploy"] = deploy(name, service)
        services[name] = out
    return {
        "version": "3.9",
        "services": services,
        "networks": overlays(config, services),
        "volumes": {name: {} for name in config.get("volumes", {})},
        "secrets": {name: {"file": s["file"]} for name, s in config.get("secrets", {}).items()},
        "configs": configs,
    }


def named_bind(environment: dict) -> str | None:
    """Swarm's DNS lists a task only once it is healthy, so a gunicorn bound to its own address under a name
    (compose's lab: services/lab/conf/gunicorn.conf.py, own_address) cannot find it before it starts: in swarm it
    listens on every interface of its task, its port unchanged (docs/swarm.md, "Networks"). None: nothing named."""
    for address in str(environment.get("GUNICORN_BIND", "")).split(","):
        host, _, port = address.rpartition(":")
        if host[:1].isalpha() and host != "localhost" and "://" not in address and not address.startswith("unix:"):
            return f"0.0.0.0:{port}"
    return None


def write_stack_file() -> Path:
    STACK_FILE.parent.mkdir(parents=True, exist_ok=True)
    # JSON is YAML: `docker stack deploy` reads it, and no YAML library is needed.
    STACK_FILE.write_text(json.dumps(stack_file(), indent=2) + "\n")
    return STACK_FILE
