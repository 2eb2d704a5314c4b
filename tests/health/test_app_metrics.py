"""Every target: the gunicorn apps' own metrics (stacklab_core.metrics) answer where Prometheus reads them
(stacklab_core.catalog.metrics_targets: the app's back network in compose and swarm, the loopback metrics server on a
VM) and never through the public port, where nginx answers 404."""

import json
import subprocess

import pytest
import requests
from stacklab_core import catalog
from stacklab_testing.target import skip_unless_vm
from stacklab_testing.web import TIMEOUT, base_url

APPS = [s for s in catalog.SERVICES.values() if s.gunicorn]
TARGETS = catalog.metrics_targets()
# Run inside the app's container or on the VM: GET the URL, print the body (urllib: in every image and on Debian).
FETCH = "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())"


def internal_metrics(target, service, on_vm) -> str:
    """/metrics as Prometheus gets it: from inside the app's container by its scrape address (compose, swarm), or
    on the VM from the loopback metrics server."""
    if target.kind == "vm":
        url = f"http://127.0.0.1:{target.port('METRICS_PORT')}{TARGETS[service.name]['vm_path']}"
        return on_vm().check_output(f"python3 -c {json.dumps(FETCH)} {url}")
    container = target.container_name(service.app) if target.is_compose else target.task_container(service.app)
    assert container, f"no running container of {service.app}"
    url = f"http://{TARGETS[service.name]['compose']}/metrics"
    done = subprocess.run(["docker", "exec", container, "python3", "-c", FETCH, url], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def on_vm(request):
    """The VM's testinfra host, asked for only on a VM target (conftest's `vm`)."""
    return lambda: request.getfixturevalue("vm")


@pytest.mark.parametrize("service", APPS, ids=lambda s: s.name)
def test_metrics_answer_inside_and_never_through_the_public_port(target, service, on_vm):
    public = base_url(target, service.port_key)
    assert requests.get(f"{public}/healthz", timeout=TIMEOUT).status_code == 200  # one request at least to count
    for path in ("/metrics", "/metrics?format=text", "/%6detrics"):
        assert requests.get(public + path, timeout=TIMEOUT, allow_redirects=False).status_code == 404, path
    text = internal_metrics(target, service, on_vm)
    assert f'stacklab_http_requests_total{{app="{service.name}",method="GET",status="200"}}' in text
    assert f'stacklab_http_request_duration_seconds_bucket{{app="{service.name}",le="0.005"}}' in text


def test_the_metrics_server_listens_on_loopback_only(target, on_vm):
    skip_unless_vm(target)
    vm, port = on_vm(), target.port("METRICS_PORT")
    assert vm.socket(f"tcp://127.0.0.1:{port}").is_listening
    assert not vm.socket(f"tcp://0.0.0.0:{port}").is_listening
    # From here: refused, or (a stand-in publishes every port of the plan) dropped by the firewall behind docker-proxy.
    with pytest.raises(requests.RequestException):
        requests.get(f"http://{target.address}:{port}/metrics/wsgi", timeout=1)
    other = vm.run(f"python3 -c {json.dumps(FETCH)} http://127.0.0.1:{port}/metrics/nothing")
    assert other.rc != 0 and "HTTP Error 404" in other.stderr  # only the apps' own paths
