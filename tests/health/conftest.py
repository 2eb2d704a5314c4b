"""Fixtures of the health suite: the target (stacklab_testing.target), testinfra hosts inside services, and
compose helpers for the container-only tests.

Markers: `container` = needs the compose target (skipped on a VM); `disruptive` = kills or recreates containers
(run last, after every read-only test); `attack` = slow-client and flood attacks (test_slow_clients.py), which
scripts/test-vm runs once per CI (`-m "not attack"` in its other runs); `alerting` = stops a unit and fakes an old
backup to fire alerts (test_monitoring.py), once per CI on a stand-in no other suite tests at that moment.
"""

import json
import os
import subprocess

import pytest
import testinfra
from stacklab_testing import target as targets


def pytest_addoption(parser):
    parser.addoption("--target", default=None, help="compose (default, or env STACKLAB_TARGET) or vm")


def pytest_configure(config):
    config.addinivalue_line("markers", "container: needs the compose target; skipped on a VM")
    config.addinivalue_line("markers", "disruptive: kills or recreates containers; runs after the other tests")
    config.addinivalue_line(
        "markers", "scraped: reads what Prometheus scraped; runs after the other checks, before the disruptive ones"
    )
    config.addinivalue_line("markers", "attack: slow-client and flood attacks, bounded; once per CI on the VMs")
    config.addinivalue_line("markers", "alerting: stops a unit to fire alerts; once per CI, on a VM no one else tests")


def pytest_collection_modifyitems(config, items):
    # Stable: the order is kept otherwise. What reads Prometheus comes late, when it has scraped for minutes (no
    # wait for a second scrape), and before any container or unit is stopped.
    items.sort(
        key=lambda item: 2 if item.get_closest_marker("disruptive") else bool(item.get_closest_marker("scraped"))
    )
    if targets.load(config.getoption("--target")).is_compose:
        return
    skip = pytest.mark.skip(reason="compose-only check; the target is a VM or a swarm stack")
    for item in items:
        if item.get_closest_marker("container"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def target(pytestconfig) -> targets.Target:
    return targets.load(pytestconfig.getoption("--target"))


@pytest.fixture(scope="session")
def inside(target):
    """inside(service) -> a testinfra host in the process's environment (container or VM), cached per spec."""
    hosts = {}

    def get(service: targets.Service):
        spec = target.inside(service)
        if not spec:
            pytest.skip("no way inside the target: set STACKLAB_VM_HOST (a testinfra host spec)")
        if spec not in hosts:
            hosts[spec] = testinfra.get_host(spec)
        return hosts[spec]

    return get


@pytest.fixture(scope="session")
def inspect(target):
    """inspect(compose_service) -> `docker inspect` of its container, read now (not cached)."""

    def run(compose_service: str) -> dict:
        name = target.container_name(compose_service)
        out = subprocess.run(["docker", "inspect", name], capture_output=True, text=True, check=False)
        if out.returncode != 0:
            pytest.fail(f"no container {name}: {out.stderr.strip()}")
        return json.loads(out.stdout)[0]

    return run


@pytest.fixture(scope="session")
def compose(target):
    """compose(*args) runs `docker compose` on this project from the repository root; returns the completed run."""

    def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        # --file as well: with --project-name alone, compose 2.26 rebuilds the project from its containers, and
        # `down`/`stop` then fail on the base images' services, which have none (docker/compose#11686, fixed in 2.27).
        compose_file = str(targets.ROOT / "docker-compose.yml")
        return subprocess.run(
            ["docker", "compose", "--project-name", target.project, "--file", compose_file, *args],
            cwd=targets.ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )

    return run


@pytest.fixture(scope="session")
def vm(target):
    """The VM (its apps' host) as a testinfra host; for the VM-only modules, after skip_unless_vm."""
    return testinfra.get_host(target.vm_host)


@pytest.fixture(scope="session")
def db_vm(target, vm):
    """The database's host: STACKLAB_VM_DB_HOST in a two-host setup, else the VM itself."""
    spec = os.environ.get("STACKLAB_VM_DB_HOST", "")
    return testinfra.get_host(spec) if spec and spec != target.vm_host else vm
