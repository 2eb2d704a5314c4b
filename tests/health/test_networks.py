"""Compose only: the networks are segmented (docs/compose.md, "Networks"). From a socket server, a hand-written
server, the CGI or the lab index, PostgreSQL and every other stack's gunicorn are out of reach, by name and by each
of their addresses; from Django, PostgreSQL answers. That each front still reaches its app is every front's
healthcheck and the service checks (test_containers.py, test_services.py)."""

import json
import subprocess

import pytest
from stacklab_core.catalog import SERVICES

pytestmark = pytest.mark.container

APP_PORT = 8000  # where every gunicorn listens in its container
# The back ends: PostgreSQL and the gunicorn behind each front.
BACK_ENDS = {"postgres": 5432, **{s.app: APP_PORT for s in SERVICES.values() if s.app}}
# Containers with a python3 of their own that must reach none of them (the lab's app only its own gunicorn).
OUTSIDERS = ("echo", "chat", "hello-www", "cgi", "lab")

# Run inside a container by its own python3: a TCP connect to every "host port" in argv, 8 at a time (an address
# another network isolates drops the SYN: each try waits its whole timeout; more threads would meet the smallest
# containers' pids limit, 16, which counts threads); prints the ones that connected.
CONNECT = """
import json, socket, sys
from concurrent.futures import ThreadPoolExecutor
def opens(target):
    host, port = target.rsplit(" ", 1)
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
        return True
    except OSError:
        return False
targets = sys.argv[1:]
with ThreadPoolExecutor(8) as pool:
    print(json.dumps([t for t, ok in zip(targets, pool.map(opens, targets)) if ok]))
"""


def addresses(inspect, service: str) -> list[str]:
    """Its name and its address on each of its networks."""
    networks = inspect(service)["NetworkSettings"]["Networks"].values()
    return [service, *(n["IPAddress"] for n in networks if n["IPAddress"])]


def reachable(target, source: str, targets: list[str]) -> list[str]:
    container = target.container_name(source)
    argv = ["docker", "exec", container, "python3", "-c", CONNECT, *targets]
    return json.loads(subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True).stdout)


@pytest.mark.parametrize("source", OUTSIDERS)
def test_back_ends_are_out_of_reach(source, inspect, target):
    own = SERVICES[source].app if source in SERVICES else ""
    targets = [f"{a} {port}" for name, port in BACK_ENDS.items() if name != own for a in addresses(inspect, name)]
    reached = reachable(target, source, targets)
    assert reached == [], f"{source} reaches {reached}"


def test_django_reaches_postgresql(target):
    assert reachable(target, "django", ["postgres 5432"]) == ["postgres 5432"]
