"""Compose only, disruptive: a container whose main process dies comes back healthy by itself, and the services
that need it work again (their black-box check, and a real page of the web apps: healthy is only /healthz); a
gunicorn app counts its requests again (its metrics directory, a tmpfs, stays writable across the restart).

The process is killed with SIGKILL from the host, as a crash or the kernel's OOM killer would. (`docker kill`
itself counts as an operator's stop: Docker disables the restart policy until the next start, by design.)
"""

import os
import signal
import subprocess
import time

import pytest
from stacklab_core import checks
from stacklab_testing.target import CONTAINERS, SERVICES
from stacklab_testing.web import PAGES

pytestmark = [pytest.mark.container, pytest.mark.disruptive]

RECOVERY_SECONDS = 120
GUNICORN_APPS = {s.app for s in SERVICES if s.gunicorn}
# The app's counters as its /metrics serves them (stacklab_core.metrics), read in its container as its own user.
READ_METRICS = (
    "import os; from prometheus_client import CollectorRegistry, generate_latest, multiprocess; "
    "r = CollectorRegistry(); multiprocess.MultiProcessCollector(r, os.environ['PROMETHEUS_MULTIPROC_DIR']); "
    "print(generate_latest(r).decode())"
)


@pytest.mark.parametrize("compose_service", CONTAINERS)
def test_crashed_container_comes_back_healthy(target, inspect, compose_service):
    before = inspect(compose_service)
    assert before["State"]["Running"], f"{compose_service} is not running"
    try:
        os.kill(before["State"]["Pid"], signal.SIGKILL)
    except PermissionError:
        pytest.skip("cannot signal the container's process from here (needs root on the Docker host)")
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        state = inspect(compose_service)
        restarted = state["RestartCount"] > before["RestartCount"]
        if restarted and state["State"].get("Health", {}).get("Status") == "healthy":
            break
        if time.monotonic() > deadline:
            pytest.fail(f"{compose_service}: not healthy again {RECOVERY_SECONDS} s after a crash: {state['State']}")
        time.sleep(1)
    needing = [s.name for s in SERVICES if compose_service in s.compose_services]
    for result in checks.run(target.address, target.plan, needing, timeout=5.0):
        assert result.ok, f"{result.name} after {compose_service} came back: {result.detail}"
    for name in needing:
        if name in PAGES:
            PAGES[name](target)
    if compose_service in GUNICORN_APPS:
        read = ["docker", "exec", target.container_name(compose_service), "python3", "-c", READ_METRICS]
        metrics = subprocess.run(read, capture_output=True, text=True, timeout=30, check=True).stdout
        # Its healthcheck's GET /healthz since the restart, at least (the tmpfs began empty).
        assert 'method="GET",status="200"' in metrics, f"{compose_service} counts no request since its restart"
