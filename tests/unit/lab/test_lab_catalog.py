"""The catalog against what it describes: stack.env (every port key, none missing), docker/services.yml (every
compose service it names exists and publishes its port), the service folders and Ansible roles, the checks."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from stacklab_core import catalog, checks, envfile, ports
from stacklab_core.catalog import SERVICES

ROOT = Path(__file__).parents[3]
PLAN = envfile.read(ROOT / "stack.env")
COMPOSE = yaml.safe_load((ROOT / "docker" / "services.yml").read_text())["services"]


def test_every_port_of_stack_env_belongs_to_one_service_and_every_service_has_one():
    port_keys = [s.port_key for s in SERVICES.values()]
    assert len(port_keys) == len(set(port_keys)), "two services share a port key"
    assert {*port_keys, *ports.MONITORING_PORTS} == {key for key in PLAN if key.endswith("_PORT")}
    numbers = [ports.port(PLAN, key) for key in (*port_keys, *ports.MONITORING_PORTS)]
    assert len(numbers) == len(set(numbers)), "two ports of the plan share a number"


def test_stack_env_has_the_settings_the_checks_need():
    assert set(ports.SETTINGS) <= set(PLAN)


@pytest.mark.parametrize("service", SERVICES.values(), ids=lambda s: s.name)
def test_compose_services_exist_and_only_the_front_one_publishes_the_port(service):
    for name in service.compose_services:
        assert name in COMPOSE, f"{service.name}: no compose service {name!r} in docker/services.yml"
    [published] = COMPOSE[service.container]["ports"]
    assert re.search(rf":\$\{{{service.port_key}\}}:\$\{{{service.port_key}\}}$", published), published
    for behind in (service.app, *service.backends):
        if behind:
            assert not COMPOSE[behind].get("ports"), f"{behind} is behind {service.container}: not published"


def test_every_long_running_compose_service_is_in_the_catalog():
    """Long-running = has a healthcheck (the base images python and nginx are built, never run); the catalog's
    monitoring set besides its services."""
    long_running = {name for name, spec in COMPOSE.items() if spec.get("healthcheck")}
    services = {c for s in SERVICES.values() for c in s.compose_services}
    assert long_running == services | set(catalog.MONITORING_SERVICES)


@pytest.mark.parametrize("stack", catalog.stacks())
def test_every_stack_has_its_folder_playbook_and_role(stack):
    assert (ROOT / "services" / stack / "pyproject.toml").is_file()
    assert (ROOT / "ansible" / "playbooks" / f"{stack}.yml").is_file()
    assert (ROOT / "ansible" / "roles" / stack / "tasks" / "main.yml").is_file()


def test_every_service_has_a_check_of_a_known_kind():
    assert list(checks.CHECKS) == list(SERVICES)
    assert {s.check for s in SERVICES.values()} <= set(checks.KINDS)
    assert set(checks.KINDS) >= catalog.TCP_CHECKS


def test_check_uses_the_port_of_its_port_key(fake_server):
    port = fake_server(lambda conn: conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"))
    assert checks.CHECKS["flask"]("127.0.0.1", {"FLASK_PORT": str(port)}, 1.0) == "GET /healthz 200"
    [result] = checks.run("127.0.0.1", {"LAB_PORT": str(port)}, ["flask"], 1.0)
    assert not result.ok and "port plan: no FLASK_PORT" in result.detail


def test_stacks_and_units():
    stacks = catalog.stacks()
    assert sorted(s.name for members in stacks.values() for s in members) == sorted(SERVICES)
    assert all(s.stack == stack for stack, members in stacks.items() for s in members)
    assert [s.name for s in stacks["echo"]] == ["echo", "recho", "echo_select"]
    assert SERVICES["django"].units == ("stacklab-django", "nginx")
    assert SERVICES["django"].compose_services == ("django-nginx", "django", "postgres")
    assert SERVICES["cgi"].units == ("apache2",)
    assert (SERVICES["chat"].http, SERVICES["ws30"].http) == (False, True)


def test_the_json_needs_only_the_standard_library():
    """`python3 catalog.py` is what Ansible and scripts run: no venv, no site-packages (-S), no package imports."""
    out = subprocess.run(
        [sys.executable, "-I", "-S", catalog.__file__], capture_output=True, text=True, check=True
    ).stdout
    data = json.loads(out)
    assert [s["name"] for s in data["services"]] == list(SERVICES)
    assert data["services"][0] | {"http": False} == data["services"][0]  # echo: not for a browser
    assert data["stacks"]["django"] == {
        "services": ["django"],
        "port_keys": ["DJANGO_PORT"],
        "units": ["stacklab-django", "nginx"],
        "compose_services": ["django-nginx", "django", "postgres"],
        "user": "stacklab-django",
        "uid": 10070,
        "limits": {"memory_max": "256M"},
        "processes": [{"unit": "stacklab-django", "module": "gunicorn", "args": []}],
    }
    assert data["stacks"]["echo"]["port_keys"] == ["ECHO_PORT", "RECHO_PORT", "ECHO_SELECT_PORT"]
    assert data["stacks"]["cgi"]["processes"] == []  # Apache runs the CGI programs: no unit of its own
    cgi = data["services"][list(SERVICES).index("cgi")]
    assert (cgi["front"], cgi["gunicorn"], cgi["page"][0]) == (
        "apache",
        False,
        "/cgi-bin/echo_cgi.py?message=gate-{nonce}",
    )


def test_one_user_and_uid_per_stack():
    uids = {stack: {s.uid for s in members} for stack, members in catalog.stacks().items()}
    assert all(len(ids) == 1 and min(ids) >= 10000 for ids in uids.values()), uids
    assert len({min(ids) for ids in uids.values()}) == len(uids), "two stacks share a uid"


def test_apps_behind_nginx_run_gunicorn_and_the_rest_their_own_module():
    for s in SERVICES.values():
        assert (s.front == "nginx") == bool(s.app) == s.gunicorn, s.name
        assert bool(s.module) == (s.front != "apache"), s.name
        assert s.user == f"stacklab-{s.stack}"


def test_gate_pages_and_limits_are_well_formed():
    for s in SERVICES.values():
        assert not s.page or (s.http and len(s.page) == 2 and s.page[0].startswith("/")), s.name
        assert {key for key, _value in s.limits} <= {"memory_max", "tasks_max", "nofile"}, s.name
    assert [s.name for s in SERVICES.values() if s.page] == ["cgi", "wsgi", "flask", "django"]
