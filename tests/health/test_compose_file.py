"""Compose only: what docker-compose.yml promises, mostly read from `docker compose config` (no containers touched).

Plain `docker compose up` is the whole lab (its one profile, monitoring, adds Prometheus and the exporters); naming a
stack's front service starts that stack alone; the base images are built, never run; every port is the plan's,
published on 127.0.0.1 only; every service that runs has a healthcheck, a restart policy, the locked-down settings
and resource limits; secrets come from ./secrets files. What a user sees when the secrets or the wheelhouse are
missing names the command to run. One disruptive test starts a stack alone from nothing for real.
"""

import ipaddress
import json
import os
import re
import shutil
import subprocess

import pytest
from stacklab_core.catalog import MONITORING_PROFILE, MONITORING_SERVICES
from stacklab_testing.target import CONTAINERS, JOBS, ROOT, SERVICES

pytestmark = pytest.mark.container

# What `docker compose up -d <front service>` starts, as the catalog says: the service, the app behind it, its backends
# and its one-shot jobs.
STACKS = {s.container: {*s.compose_services, *s.jobs} for s in SERVICES}
# The base images the stack's own images start FROM: built first, never run.
BASES = {"python", "nginx"}
NOT_SET = "run ./run up once"  # what compose and the build say when something `./run up` makes is missing


def config(*services: str, profile: str = "") -> dict:
    """`docker compose config` as compose resolves it for `up` (with `services`: those and their dependencies;
    with `profile`, as `up --profile PROFILE`)."""
    env = {key: value for key, value in os.environ.items() if key != "COMPOSE_PROFILES"}
    env |= {"COMPOSE_PROFILES": profile} if profile else {}
    out = subprocess.run(
        ["docker", "compose", "config", "--format", "json", *services],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def running(services: dict) -> set[str]:
    """The services that get containers (the bases are scale 0)."""
    return {name for name, spec in services.items() if spec.get("scale", 1) != 0}


def test_the_whole_lab_with_no_profiles():
    services = config()["services"]
    assert all("profiles" not in spec for spec in services.values()), "plain `docker compose up` must start all"
    assert running(services) == {*CONTAINERS, *JOBS}
    assert set(services) - running(services) == BASES


def test_the_monitoring_profile_adds_its_set_with_prometheus_on_loopback(target):
    """`--profile monitoring`: the whole lab and the monitoring set, locked down; only Prometheus and Alertmanager
    publish a port, the plan's, on 127.0.0.1 (never PUBLISH_ADDR's address: no student needs them)."""
    services = config(profile=MONITORING_PROFILE)["services"]
    assert running(services) == {*CONTAINERS, *JOBS, *MONITORING_SERVICES}
    published = {}
    for name in MONITORING_SERVICES:
        spec = services[name]
        assert spec["profiles"] == [MONITORING_PROFILE] and spec["read_only"] and spec["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in spec["security_opt"] and spec["healthcheck"]["test"], name
        published |= {name: [(p["host_ip"], int(p["published"]), p["target"]) for p in spec.get("ports", [])]}
    assert {name: ports for name, ports in published.items() if ports} == {
        name: [("127.0.0.1", target.port(key), target.port(key))]
        for name, key in (("prometheus", "PROMETHEUS_PORT"), ("alertmanager", "ALERTMANAGER_PORT"))
    }


@pytest.mark.parametrize("front", STACKS)
def test_a_front_service_brings_its_stack_alone(front):
    assert running(config(front)["services"]) == STACKS[front]


def test_every_service_is_in_a_stack():
    assert set().union(*STACKS.values()) == {*CONTAINERS, *JOBS}


def dependencies(services: dict, name: str) -> set[str]:
    """Every service `name` depends on, directly or through others."""
    found, todo = set(), [name]
    while todo:
        for dep in services[todo.pop()].get("depends_on", {}):
            if dep not in found:
                found.add(dep)
                todo.append(dep)
    return found


def base_images(build: dict) -> set[str]:
    """The images a build starts FROM: those of its target stage and of the stages it copies or mounts from."""
    stages = {}  # name -> (FROM image or stage, the stage's text)
    for number, text in enumerate(re.split(r"^(?=FROM )", (ROOT / build["dockerfile"]).read_text(), flags=re.M)[1:]):
        match = re.match(r"FROM (\S+)(?: AS (\S+))?", text)
        stages[match[2] or str(number)] = (match[1], text)
    images, todo, seen = set(), [build.get("target", str(len(stages) - 1))], set()
    while todo:
        image, text = stages[todo.pop()]
        for ref in {image, *re.findall(r"from=([^\s,]+)", text)} - seen:
            seen.add(ref)
            if ref in stages:
                todo.append(ref)
            else:
                images.add(ref)
    return images


@pytest.mark.parametrize("base", sorted(BASES))
def test_base_images_are_built_before_the_images_from_them(base):
    """No container, and every build that starts FROM the base depends on it (maybe through another service),
    which is what makes compose build the base first."""
    services = config()["services"]
    assert services[base]["scale"] == 0 and services[base]["build"], base
    image = services[base]["image"]
    users = {name for name, spec in services.items() if "build" in spec and image in base_images(spec["build"])}
    assert users, f"nothing starts FROM {image}"
    for name in users:
        assert base in dependencies(services, name), f"{name} builds FROM {image} but does not depend on {base}"


def test_ports_are_the_plan_on_loopback(target):
    services = config()["services"]
    for service in SERVICES:
        [port] = services[service.container]["ports"]
        # 127.0.0.1 unless PUBLISH_ADDR names another loopback address (a second project on one machine)
        assert port["host_ip"] == target.address and ipaddress.ip_address(port["host_ip"]).is_loopback
        assert int(port["published"]) == port["target"] == target.port(service.port_key), service.container
    published = {name for name, spec in services.items() if spec.get("ports")}
    assert published == {s.container for s in SERVICES}, "app servers and the database are not published"


@pytest.mark.parametrize("name", CONTAINERS)
def test_running_services_are_locked_down(name):
    spec = config()["services"][name]
    assert spec["read_only"] and spec["cap_drop"] == ["ALL"], name
    assert "no-new-privileges:true" in spec["security_opt"], name
    assert spec["restart"] == "unless-stopped" and spec["healthcheck"]["test"], name


@pytest.mark.parametrize("name", JOBS)
def test_jobs_are_locked_down_run_once_and_come_first(name):
    """A one-shot job: the same lock-down, never restarted, no healthcheck (it exits), and whatever depends on it
    starts only after it exited 0."""
    services = config()["services"]
    spec = services[name]
    assert spec["read_only"] and spec["cap_drop"] == ["ALL"], name
    assert "no-new-privileges:true" in spec["security_opt"], name
    assert spec["restart"] == "no" and "healthcheck" not in spec, name
    waiting = {
        other: dependent["depends_on"][name]["condition"]
        for other, dependent in services.items()
        if name in dependent.get("depends_on", {})
    }
    assert waiting and set(waiting.values()) == {"service_completed_successfully"}, waiting


@pytest.mark.parametrize("name", CONTAINERS + JOBS)
def test_running_services_have_resource_limits(name):
    """Memory, process and file limits, as sized in docs/compose.md: a flood or a leak stops in its own container."""
    spec = config()["services"][name]
    assert 16 * 2**20 <= int(spec["mem_limit"]) <= 512 * 2**20, f"{name}: mem_limit {spec.get('mem_limit')}"
    # At most Apache's 512 MPM threads and its CGI programs; the nginx fronts' 8192 files (2,000 idle clients).
    assert 0 < spec["pids_limit"] <= 640, name
    nofile = spec["ulimits"]["nofile"]  # one number: soft and hard alike
    soft, hard = (nofile, nofile) if isinstance(nofile, int) else (nofile["soft"], nofile["hard"])
    assert 0 < soft <= hard <= 8192, f"{name}: nofile {nofile}"


def test_the_base_images_have_no_limits():
    """Scale 0: they never run, so limits there would only mislead."""
    services = config()["services"]
    for base in BASES:
        assert not {"mem_limit", "pids_limit", "ulimits"} & set(services[base]), base


def test_secrets_are_git_ignored_files():
    for name, secret in config()["secrets"].items():
        path = secret["file"]
        assert path.startswith(str(ROOT / "secrets")), name
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False)
        assert ignored.returncode == 0, f"{path} is not ignored by git"


def test_without_the_secrets_compose_names_the_command():
    """No STACKLAB_SECRETS (scripts/secrets sets it in .env): every compose command stops and says what to run."""
    env = {key: value for key, value in os.environ.items() if key != "STACKLAB_SECRETS"}
    out = subprocess.run(
        ["docker", "compose", "--env-file", os.devnull, "--dry-run", "up", "--detach"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode != 0
    assert f"{NOT_SET} (or scripts/secrets)" in out.stderr, out.stderr


def test_without_the_wheelhouse_the_build_names_the_command(tmp_path):
    """The base image's build in a checkout with no build/wheelhouse fails first, with the command in its output."""
    (tmp_path / "docker").mkdir()
    shutil.copytree(ROOT / "docker" / "python", tmp_path / "docker" / "python")
    (tmp_path / "compose.yml").write_text(
        "services:\n  python:\n    build: {context: ., dockerfile: docker/python/Dockerfile}\n"
    )
    out = subprocess.run(
        ["docker", "compose", "--progress", "plain", "--project-name", f"stacklab-nowheels-{os.getpid()}", "build"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode != 0
    assert f"missing build/wheelhouse: {NOT_SET} (or scripts/wheelhouse)" in out.stdout + out.stderr


@pytest.mark.disruptive
def test_a_stack_starts_alone_from_nothing(compose):
    """`docker compose up -d django-nginx` with nothing running starts exactly the Django stack, healthy."""
    compose("down")
    try:
        compose("up", "--detach", "--wait", "--wait-timeout", "300", "django-nginx")
        states = [json.loads(line) for line in compose("ps", "--all", "--format", "json").stdout.splitlines()]
        assert {state["Service"] for state in states} == STACKS["django-nginx"]
        assert all(state["Health"] == "healthy" for state in states if state["Service"] not in JOBS), states
        assert all(state["ExitCode"] == 0 for state in states if state["Service"] in JOBS), states
    finally:
        compose("up", "--detach", "--wait", "--wait-timeout", "300")
