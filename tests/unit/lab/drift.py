"""What docker/services.yml and the services' Dockerfiles say otherwise than the catalog: compose cannot derive
its YAML from the catalog, so the unit tests compare them and name each difference (test_compose_drift.py, and
test_add_a_service.py for a service the catalog gains)."""

import json
import re
from collections.abc import Iterable
from pathlib import Path

import yaml
from stacklab_core.catalog import MONITORING_PROFILE, MONITORING_SERVICES, Service, networks

ROOT = Path(__file__).parents[3]

# The container healthcheck of each check kind (stacklab_core.checks.KINDS): stacklab-probe's arguments after the
# port. A new kind needs its line here; the drift names the service until it has one.
PROBES = {
    "echo": ("echo",),
    "recho": ("echo",),
    "echo_select": ("echo",),
    "chat": ("chat",),
    "hello": ("http", "/"),
    "path_echo": ("http", "/healthcheck"),
    "listing": ("http", "/"),
    "cgi": ("http", "/healthz"),
    "healthz": ("http", "/healthz"),
}
APP_PORT = "8000"  # where an app behind its front listens in its container (not published)


def compose(root: Path = ROOT, key: str = "services") -> dict:
    """The compose services (or KEY: networks) of docker/services.yml, as written (no ${...} resolved)."""
    return yaml.safe_load((root / "docker" / "services.yml").read_text())[key]


def network_drift(spec: dict, declared: dict, want: dict | None = None) -> list[str]:
    """Every compose service (SPEC) on other networks than the catalog's (stacklab_core.catalog.networks(), or
    WANT), every network (DECLARED: the file's top-level networks) internal when it must not be or the reverse."""
    want = networks() if want is None else want
    found = []
    for name in sorted(set(declared) | set(want)):
        internal = bool((declared.get(name) or {}).get("internal"))
        if name not in want:
            found.append(f"network {name}: in docker/services.yml, not in the catalog")
        elif name not in declared:
            found.append(f"network {name}: the catalog's, not declared in docker/services.yml")
        elif internal != want[name]["internal"]:
            found.append(f"network {name}: internal is {internal}, the catalog says {want[name]['internal']}")
    for service, svc in spec.items():
        if svc.get("scale") == 0:  # a base image: never runs, no network
            if svc.get("network_mode") != "none":
                found.append(f"{service}: a base image on a network (network_mode: none)")
            continue
        on = sorted(svc.get("networks") or ["default"])
        should = sorted(net for net, members in want.items() if service in members["services"])
        if on != should:
            found.append(f"{service}: on networks {on}, the catalog says {should}")
    return found


def stage(root: Path, build: dict) -> str:
    """The text of the Dockerfile stage a compose `build` names (its target, else the last stage)."""
    stages = re.split(r"^(?=FROM )", (root / build["dockerfile"]).read_text(), flags=re.M)
    if "target" not in build:
        return stages[-1]
    named = [s for s in stages if re.match(rf"FROM \S+ AS {re.escape(build['target'])}\s", s)]
    return named[0] if named else ""


def run_command(spec: dict, text: str) -> list[str]:
    """What the container runs: compose's command, else its stage's exec-form CMD."""
    if "command" in spec:
        return spec["command"]
    cmd = re.findall(r"^CMD (\[.*\])$", text, re.M)
    return json.loads(cmd[-1]) if cmd else []


def drift(services: Iterable[Service], spec: dict, root: Path = ROOT) -> list[str]:
    """Every difference between the catalog's services and the compose services SPEC (compose()), one line each."""
    services = list(services)
    found = []
    named = {c for s in services for c in s.compose_services} | set(MONITORING_SERVICES)
    long_running = {name for name, svc in spec.items() if svc.get("healthcheck")}
    found += [f"compose service {name}: long-running but in no catalog entry" for name in sorted(long_running - named)]
    # The monitoring set alone is optional: plain `docker compose up` is the whole lab and nothing else.
    for name, svc in spec.items():
        want = [MONITORING_PROFILE] if name in MONITORING_SERVICES else None
        if svc.get("profiles") != want:
            found.append(f"compose service {name}: profiles {svc.get('profiles')}, the catalog says {want}")
    found += [f"no compose service {name!r} (profile {MONITORING_PROFILE})" for name in MONITORING_SERVICES
              if name not in spec]  # fmt: skip
    for s in services:
        for name in (*s.compose_services, *s.jobs):
            if name not in spec:
                found.append(f"{s.name}: no compose service {name!r} in docker/services.yml")
        if s.container not in spec:
            continue
        port = f"${{{s.port_key}}}"
        front = spec[s.container]
        if front.get("ports") != [f"${{PUBLISH_ADDR:-127.0.0.1}}:{port}:{port}"]:
            found.append(f"{s.name}: {s.container} does not publish {port} (ports: {front.get('ports')})")
        probe = PROBES.get(s.check)
        if probe is None:
            found.append(f"{s.name}: no container healthcheck known for check kind {s.check!r} (drift.PROBES)")
        elif front.get("healthcheck", {}).get("test") != ["CMD", "stacklab-probe", probe[0], port, *probe[1:]]:
            found.append(f"{s.name}: {s.container}'s healthcheck is not stacklab-probe {' '.join(probe)} on {port}")
        for behind in (s.app, *s.backends):
            if behind in spec and spec[behind].get("ports"):
                found.append(f"{s.name}: {behind} is behind {s.container} and must not publish a port")
        if s.app in spec and spec[s.app].get("healthcheck", {}).get("test") != [
            "CMD", "stacklab-probe", "http", APP_PORT, "/healthz"
        ]:  # fmt: skip
            found.append(f"{s.name}: {s.app}'s healthcheck is not stacklab-probe http {APP_PORT} /healthz")
        found += process_drift(s, spec, root)
    return found


def process_drift(s: Service, spec: dict, root: Path) -> list[str]:
    """Its own process's container (the app behind a front, else the one with the port): the catalog's user, uid
    and run command."""
    name = s.app or s.container
    build = spec.get(name, {}).get("build")
    if not build:
        return [f"{s.name}: {name} builds no image of its own"] if name in spec else []
    text = stage(root, build)
    found = []
    users = re.findall(r"^USER (\S+)$", text, re.M)
    if users[-1:] != [f"{s.uid}:{s.uid}"] or not re.search(rf"stacklab-install-service {s.user} {s.uid}\b", text):
        found.append(
            f"{s.name}: {build['dockerfile']} does not run {name} as {s.user} ({s.uid}:{s.uid}) as the catalog says"
        )
    if s.module:
        command = run_command(spec[name], text)
        want = ["python3", "-m", s.module, *s.args]
        if command[: len(want)] != want or (not s.gunicorn and command != want):
            found.append(f"{s.name}: {name} runs {' '.join(command)}, the catalog says {' '.join(want)}")
    return found
