"""The generated stack file (stacklab_swarm) against the compose file it comes from: the same services, images,
commands, healthchecks, secrets and volumes, the ports of the plan in host mode, and the deploy policies
docs/swarm.md promises; and swarm's own loader accepts it (`docker stack config`)."""

import json
import subprocess
from pathlib import Path

import pytest
from stacklab_core import ports
from stacklab_core.catalog import networks
from stacklab_swarm import common, plan, sites, stack_file


@pytest.fixture(scope="module")
def config():
    return plan.compose_config(plan.port_plans()[0])


@pytest.fixture(scope="module")
def compose(config):
    return config["services"]


@pytest.fixture(scope="module")
def stack():
    stack_file.write_stack_file()
    return json.loads(common.STACK_FILE.read_text())


def test_every_running_compose_service_is_in_the_stack_alike(compose, stack):
    running = {name for name, service in compose.items() if service.get("scale") != 0}
    assert set(stack["services"]) == running
    for name, service in stack["services"].items():
        original = compose[name]
        assert service["image"] == original["image"], name
        assert service.get("command") == original.get("command"), name
        assert service.get("healthcheck") == original.get("healthcheck"), name
        environment = original.get("environment")
        if environment and stack_file.named_bind(environment):  # the lab's own address cannot be looked up in swarm
            environment = {**environment, "GUNICORN_BIND": stack_file.named_bind(environment)}
        assert service.get("environment") == environment, name
        assert [s["source"] for s in service.get("secrets", [])] == [s["source"] for s in original.get("secrets", [])]
        named = [v["source"] for v in service.get("volumes", []) if v["type"] == "volume"]
        assert named == [v["source"] for v in original.get("volumes", []) if v["type"] == "volume"], name
        # Bind mounts stay out (./run try's folder for the lab): swarm refuses a task whose bind source is missing.
        assert all(v["type"] != "bind" for v in service.get("volumes", [])), name
        assert {"build", "depends_on", "restart", "profiles", "mem_limit", "group_add"}.isdisjoint(service), name


def test_ports_follow_the_plan_in_host_mode(compose, stack):
    _, published = plan.port_plans()
    # The monitoring set's ports are the VM's loopback ones (ansible/roles/monitoring): swarm publishes none.
    plan_ports = {int(published[k]) for k in published if k.endswith("_PORT") and k not in ports.MONITORING_PORTS}
    seen = set()
    for name, service in stack["services"].items():
        targets = [int(p["target"]) for p in compose[name].get("ports", [])]
        assert [p["target"] for p in service.get("ports", [])] == targets, name
        for port in service.get("ports", []):
            assert port["mode"] == "host" and port["published"] in plan_ports, (name, port)
            seen.add(port["published"])
    assert seen == plan_ports, "every port of the plan is published once"


def test_deploy_policies(stack):
    services = stack["services"]
    for name, service in services.items():
        deploy = service["deploy"]
        assert deploy["endpoint_mode"] == "dnsrr", name  # no IPVS here: no VIPs
        if name in stack_file.APPS:
            assert deploy["replicas"] == 2
            assert deploy["update_config"]["order"] == "start-first"
            assert deploy["update_config"]["failure_action"] == "rollback"
            assert "healthcheck" in service, f"{name}: the update is health-gated"
        elif name not in stack_file.JOBS:
            assert deploy["replicas"] == 1, name
            assert deploy["update_config"]["order"] == "stop-first", name
    assert services["postgres"]["deploy"]["placement"]["constraints"] == ["node.labels.stacklab.db == true"]


def test_fronts_get_the_dynamic_upstream_site(stack):
    for front, service in sites.FRONTS.items():
        (config,) = stack["services"][front]["configs"]
        site = Path(stack["configs"][config["source"]]["file"]).read_text()
        assert "resolver 127.0.0.11 valid=10s" in site, front
        assert f"proxy_pass http://${service.app}_upstream;" in site, front
        assert f"set ${service.app}_upstream {service.app}:8000;" in site, front


def test_networks_are_the_catalogs_segments_as_overlays(config, stack):
    """Each service on compose's networks, which are the catalog's; each an attachable overlay, internal where
    the catalog's is (only a front reaches its app, only Django PostgreSQL: docs/swarm.md). The monitoring
    profile's own networks are compose's alone."""
    want = {name: net for name, net in networks().items() if not net.get("profile")}
    assert stack["networks"] == {
        name: {"driver": "overlay", "attachable": True, **({"internal": True} if net["internal"] else {})}
        for name, net in want.items()
    }
    assert {name: bool(net.get("internal")) for name, net in config["networks"].items()} == {
        name: net["internal"] for name, net in want.items()
    }
    for name, service in stack["services"].items():
        assert sorted(service["networks"]) == sorted(n for n, net in want.items() if name in net["services"]), name
    assert stack["services"]["lab"]["networks"]["lab-back"] == {"aliases": ["lab-gunicorn"]}


def test_swarm_reads_it():
    out = subprocess.run(["docker", "stack", "config", "--compose-file", str(common.STACK_FILE)],
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Ignoring" not in out.stderr, out.stderr
