"""Compose only: every container is healthy, locked down and limited as docs/compose.md promises (the monitoring
profile's too, when the run started it), and the project has no other container (the base images are built, never
run: no exited build-only container in `docker compose ps -a`).
"""

import ipaddress
import json
import subprocess

import pytest
import requests
from stacklab_testing.target import CONTAINERS, JOBS, MONITORING
from stacklab_testing.web import base_url

pytestmark = pytest.mark.container


def test_only_the_lab_runs(compose):
    states = [json.loads(line) for line in compose("ps", "--all", "--format", "json").stdout.splitlines()]
    assert sorted(state["Service"] for state in states) == sorted(CONTAINERS + JOBS + MONITORING)
    running = [s for s in states if s["Service"] in CONTAINERS + MONITORING]
    assert all(state["State"] == "running" for state in running), [s for s in running if s["State"] != "running"]
    jobs = [s for s in states if s["Service"] in JOBS]
    assert all(state["State"] == "exited" and state["ExitCode"] == 0 for state in jobs), jobs


@pytest.fixture(params=CONTAINERS + MONITORING)
def container(request, inspect) -> dict:
    return inspect(request.param)


def test_healthy(container):
    health = container["State"].get("Health")
    assert health, f"{container['Name']} has no healthcheck"
    assert health["Status"] == "healthy", health["Log"][-1:] if health["Log"] else health


def test_locked_down(container):
    host = container["HostConfig"]
    assert host["CapDrop"] == ["ALL"]
    assert "no-new-privileges:true" in (host["SecurityOpt"] or [])
    assert host["RestartPolicy"]["Name"] == "unless-stopped"
    assert host["LogConfig"]["Type"] == "json-file", "logs go to stdout, collected by Docker"
    assert not host["Privileged"]
    user = container["Config"]["User"]
    assert user and user.split(":")[0] not in ("0", "root"), f"image user {user!r}"


def test_read_only_root_file_system(container):
    assert container["HostConfig"]["ReadonlyRootfs"], f"{container['Name']} has a writable root file system"


def test_ports_published_on_loopback_only(container, target):
    """On 127.0.0.1, or the loopback address PUBLISH_ADDR names (a second project on one machine); the monitoring
    set on 127.0.0.1 always (PUBLISH_ADDR is for the lab's services)."""
    service = container["Config"]["Labels"]["com.docker.compose.service"]
    want = "127.0.0.1" if service in MONITORING else target.address
    for bindings in (container["HostConfig"]["PortBindings"] or {}).values():
        for binding in bindings:
            host_ip = binding["HostIp"]
            assert host_ip == want, f"{container['Name']} publishes on {host_ip or '*'}"
            assert ipaddress.ip_address(host_ip).is_loopback, f"{container['Name']} publishes on {host_ip}"


def test_main_process_is_not_root(container):
    """Pid 1 of every container (app servers and the database too, not only the fronts) has no root uid."""
    status = subprocess.run(
        ["docker", "exec", container["Id"], "cat", "/proc/1/status"], capture_output=True, text=True, check=True
    ).stdout
    uids = dict(line.split(":", 1) for line in status.splitlines())["Uid"].split()
    assert "0" not in uids, f"{container['Name']}: pid 1 runs with uids {uids}"


def test_resource_limits_are_enforced(container):
    """What the engine applies, read back from the running container, not just what the compose file says."""
    host = container["HostConfig"]
    assert host["Memory"] > 0 and host["PidsLimit"] > 0, container["Name"]
    [nofile] = [limit for limit in host["Ulimits"] or [] if limit["Name"] == "nofile"]
    assert 0 < nofile["Soft"] <= nofile["Hard"], container["Name"]


@pytest.mark.parametrize("name", JOBS)
def test_job_ran_locked_down_and_limited(inspect, name):
    """A one-shot job (it has exited: nothing to exec into) ran as settled: non-root, locked down, limited."""
    job = inspect(name)
    host = job["HostConfig"]
    assert job["State"]["Status"] == "exited" and job["State"]["ExitCode"] == 0, job["State"]
    assert host["CapDrop"] == ["ALL"] and "no-new-privileges:true" in (host["SecurityOpt"] or []), name
    assert host["ReadonlyRootfs"] and not host["Privileged"], name
    assert host["RestartPolicy"]["Name"] == "no", name
    user = job["Config"]["User"]
    assert user and user.split(":")[0] not in ("0", "root"), f"image user {user!r}"
    assert host["Memory"] > 0 and host["PidsLimit"] > 0, name


DIAGNOSTIC = "/cgi-bin/cgi_test.py?message=probe"


def test_cgi_diagnostic_is_for_the_machine_itself_only(compose, target):
    """Published requests arrive through docker-proxy from the bridge's gateway, not loopback: Apache refuses them.
    From inside the container (loopback) the page answers and says who may see it."""
    base = base_url(target, "CGI_PORT")
    assert requests.get(base + DIAGNOSTIC, timeout=10).status_code == 403
    assert requests.get(base + "/cgi-bin/echo_cgi.py?message=probe", timeout=10).status_code == 200
    port = target.port("CGI_PORT")  # the same inside the container: the port plan
    fetch = f"import urllib.request as u; print(u.urlopen('http://127.0.0.1:{port}{DIAGNOSTIC}').read().decode())"
    inside = compose("exec", "-T", "cgi", "python3", "-c", fetch).stdout
    assert "<tr><th>message</th><td>probe</td></tr>" in inside
    assert "from this machine only" in inside
