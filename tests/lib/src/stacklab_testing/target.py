"""What the health suite checks and where: the lab's services, the address their ports answer on, and how to get
inside each one (a testinfra host spec), for the two kinds of target.

    compose  the local `docker compose` project (default): ports on 127.0.0.1, inside = docker://stacklab-<svc>-1
    swarm    the lab as a swarm stack on the local engine (hosting/swarm): ports on 127.0.0.1 (host mode, every
             interface), inside = docker://<a running task's container> of service <stack>_<svc>
    vm       a server built by Ansible: ports on STACKLAB_VM_ADDRESS (default 127.0.0.2), inside = the testinfra
             spec in STACKLAB_VM_HOST (ssh://..., ansible://...); secrets from STACKLAB_SECRETS_DIR

Chosen with `pytest tests/health --target compose|swarm|vm` or STACKLAB_TARGET. The port plan is stack.env (overridden
by the environment, as compose does), read by stacklab_core.ports, so tests, compose and Ansible share one plan.
"""

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from stacklab_core import envfile
from stacklab_core import ports as port_plan
from stacklab_core.catalog import MONITORING_SERVICES, Service
from stacklab_core.catalog import SERVICES as CATALOG

from stacklab_testing import REPO as ROOT

# Every service of the lab (stacklab_core.catalog): its check name, port key, compose services and VM units.
SERVICES: tuple[Service, ...] = tuple(CATALOG.values())

# systemd units on a VM whose main process is a root master by design (see Target.main_pid_command): the front
# servers of the catalog (nginx, apache2).
FRONT_SERVERS = tuple(sorted({s.front_unit or s.unit for s in SERVICES if s.front}))

# Every long-running compose service (container) of the stack.
CONTAINERS = tuple(sorted({c for s in SERVICES for c in s.compose_services}))
# The one-shot compose services (schema, accounts): each runs before its app, exits 0 and stays exited.
JOBS = tuple(sorted({j for s in SERVICES for j in s.jobs}))
# The monitoring profile's containers, when the run started it (STACKLAB_MONITORING=1: scripts/test-compose).
MONITORING = tuple(sorted(MONITORING_SERVICES)) if os.environ.get("STACKLAB_MONITORING") == "1" else ()


@dataclass(frozen=True)
class Target:
    kind: str  # "compose", "swarm" or "vm"
    address: str  # where the published ports answer
    plan: dict[str, str] = field(repr=False)
    vm_host: str = ""  # testinfra spec of the VM
    secrets_dir: Path = ROOT / "secrets"
    project: str = "stacklab"  # the compose project name, or the swarm stack's

    @property
    def is_compose(self) -> bool:
        return self.kind == "compose"

    def port(self, key: str) -> int:
        return port_plan.port(self.plan, key)

    def container_name(self, compose_service: str) -> str:
        return f"{self.project}-{compose_service}-1"

    def inside(self, service: Service) -> str:
        """The testinfra host spec to get inside the process that serves `service`."""
        if self.is_compose:
            return f"docker://{self.container_name(service.container)}"
        if self.kind == "swarm":
            return f"docker://{self.task_container(service.container)}"
        return self.vm_host

    def task_container(self, swarm_service: str) -> str:
        """The id of a running, healthy container of the stack's service (any replica: they are alike)."""
        label = f"label=com.docker.swarm.service.name={self.project}_{swarm_service}"
        out = subprocess.run(
            ["docker", "ps", "--quiet", "--filter", label, "--filter", "health=healthy"],
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        return out[0] if out else ""

    def main_pid_command(self, service: Service) -> str:
        """A shell command printing the pid of the service's main process, run inside (see `inside`)."""
        if self.kind in ("compose", "swarm"):
            return "echo 1"  # every container runs its server as pid 1 (exec-form CMD, entrypoints exec)
        main = f"systemctl show --property MainPID --value {service.unit}"
        if service.unit in FRONT_SERVERS:
            # Debian's nginx and Apache keep a root master that only opens ports and logs; the processes that
            # serve requests (and run the CGI programs) are its children (stacklab-nginx; www-data for Apache).
            # A master systemd does not know (MainPID 0) prints nothing: pgrep would name pid 1, systemd's child.
            return f'master=$({main}); [ "$master" = 0 ] || pgrep --oldest --parent "$master"'
        return main

    def secret(self, name: str) -> str:
        return (self.secrets_dir / name).read_text().strip()


def load(kind: str | None = None) -> Target:
    kind = kind or os.environ.get("STACKLAB_TARGET", "compose")
    plan = port_plan.load(ROOT / "stack.env")
    if (
        kind in ("compose", "swarm") and (ROOT / ".env").is_file()
    ):  # as compose: .env beats stack.env, the shell beats both
        plan.update({key: value for key, value in envfile.read(ROOT / ".env").items() if key in plan})
    plan.update({key: os.environ[key] for key in plan if os.environ.get(key)})
    secrets_dir = Path(os.environ.get("STACKLAB_SECRETS_DIR") or ROOT / "secrets")
    if kind == "compose":
        return Target(
            "compose",
            os.environ.get("PUBLISH_ADDR") or "127.0.0.1",  # where compose publishes (docker/services.yml)
            plan,
            secrets_dir=secrets_dir,
            project=os.environ.get("COMPOSE_PROJECT_NAME", "stacklab"),
        )
    if kind == "swarm":  # host-mode ports answer on every address, 127.0.0.1 among them
        return Target(
            "swarm", "127.0.0.1", plan, secrets_dir=secrets_dir, project=os.environ.get("STACKLAB_STACK", "stacklab")
        )
    if kind == "vm":
        address = os.environ.get("STACKLAB_VM_ADDRESS", "127.0.0.2")
        return Target("vm", address, plan, vm_host=os.environ.get("STACKLAB_VM_HOST", ""), secrets_dir=secrets_dir)
    raise ValueError(f"unknown target {kind!r}: use compose, swarm or vm")


def skip_unless_vm(target: Target) -> None:
    """The VM-only modules' guard (tests/health/test_vm*.py and their kin): a reason of its own, which a stage
    allows by design (stacklab_testing.guard)."""
    import pytest

    if target.kind != "vm":
        pytest.skip(f"VM-only checks; the target is {target.kind}")
    if not target.vm_host:
        pytest.skip("set STACKLAB_VM_HOST to the VM's testinfra spec")
