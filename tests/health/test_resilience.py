"""Compose only, disruptive: a container whose main process dies comes back healthy by itself.

The process is killed with SIGKILL from the host, as a crash or the kernel's OOM killer would. (`docker kill`
itself counts as an operator's stop: Docker disables the restart policy until the next start, by design.)
"""

import os
import signal
import time

import pytest
from target import CONTAINERS

pytestmark = [pytest.mark.container, pytest.mark.disruptive]

RECOVERY_SECONDS = 120


@pytest.mark.parametrize("compose_service", CONTAINERS)
def test_crashed_container_comes_back_healthy(inspect, compose_service):
    before = inspect(compose_service)
    assert before["State"]["Running"], f"{compose_service} is not running"
    try:
        os.kill(before["State"]["Pid"], signal.SIGKILL)
    except PermissionError:
        pytest.skip("cannot signal the container's process from here (needs root on the Docker host)")
    deadline = time.monotonic() + RECOVERY_SECONDS
    while time.monotonic() < deadline:
        state = inspect(compose_service)
        restarted = state["RestartCount"] > before["RestartCount"]
        if restarted and state["State"].get("Health", {}).get("Status") == "healthy":
            return
        time.sleep(1)
    pytest.fail(f"{compose_service}: not healthy again {RECOVERY_SECONDS} s after a crash: {state['State']}")
