"""Compose only: what docker-compose.yml promises, read from `docker compose config` (no containers touched).

Each profile runs one stack alone; every port is the plan's, published on 127.0.0.1 only; every long-running
service has a healthcheck, a restart policy and the locked-down settings; secrets come from ./secrets files.
"""

import json
import os
import subprocess

import pytest
from target import CONTAINERS, ROOT, SERVICES

pytestmark = pytest.mark.container

STACKS = {
    "echo": {"echo", "recho", "echo-select"},
    "chat": {"chat"},
    "www": {"hello-www", "echo-www", "ws30"},
    "cgi": {"cgi"},
    "wsgi": {"wsgi", "wsgi-nginx"},
    "flask": {"flask", "flask-nginx"},
    "django": {"postgres", "django", "django-nginx"},
    "lab": {"lab"},
}
# Build-only services: the base images the stack's own images start FROM (their containers print a version, exit).
BUILD_ONLY = {stack: {"python", "nginx"} if stack in {"wsgi", "flask", "django"} else {"python"} for stack in STACKS}


def config(*profiles: str) -> dict:
    args = [arg for profile in profiles for arg in ("--profile", profile)]
    out = subprocess.run(
        ["docker", "compose", *args, "config", "--format", "json"],
        cwd=ROOT,
        env={**os.environ, "COMPOSE_PROFILES": ""},  # the --profile flags alone choose
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("stack", STACKS)
def test_a_profile_runs_one_stack_alone(stack):
    assert set(config(stack)["services"]) == STACKS[stack] | BUILD_ONLY[stack]


def test_profile_all_is_the_whole_lab():
    assert set(config("all")["services"]) == set(CONTAINERS) | {"python", "nginx"}


def test_ports_are_the_plan_on_loopback(target):
    services = config("all")["services"]
    for service in SERVICES:
        [port] = services[service.container]["ports"]
        assert port["host_ip"] == "127.0.0.1"
        assert int(port["published"]) == port["target"] == target.port(service.port_key), service.container
    published = {name for name, spec in services.items() if spec.get("ports")}
    assert published == {s.container for s in SERVICES}, "app servers and the database are not published"


def test_long_running_services_are_locked_down():
    for name, spec in config("all")["services"].items():
        assert spec["read_only"] and spec["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in spec["security_opt"], name
        if name not in {"python", "nginx"}:
            assert spec["restart"] == "unless-stopped" and spec["healthcheck"]["test"], name


def test_secrets_are_git_ignored_files():
    for name, secret in config("all")["secrets"].items():
        path = secret["file"]
        assert path.startswith(str(ROOT / "secrets")), name
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False)
        assert ignored.returncode == 0, f"{path} is not ignored by git"
