"""The lab as a swarm stack under steady loopback load (stacklab_swarm, docs/swarm.md): rolling updates of
Flask and Django with zero failed requests, swarm's own rollback of a Django image whose healthcheck fails (run
beside the Flask tests: it takes over a minute), a killed Flask replica replaced and dropped by nginx, Flask scaled
to 4 with every replica serving.

Needs the stack up (`./run swarm up`; STACKLAB_STACK names it, default stacklab) and runs in the order written.
The new code is the app image plus a WSGI wrapper adding X-Stacklab-Marker (which release) and
X-Stacklab-Replica (the container's hostname) to every response; its tags are removed at the end.
"""

import http.client
import json
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from stacklab_testing import target

STACK = os.environ.get("STACKLAB_STACK", "stacklab")
# What the docs promise: nginx re-resolves every 10 s (valid=10s), so a dead replica costs at most that long.
STALE_SECONDS = 10

MARKER_APP = """import os, socket
from {module} import {attr} as inner

HEADERS = [("X-Stacklab-Marker", os.environ["STACKLAB_MARKER"]), ("X-Stacklab-Replica", socket.gethostname())]


def app(environ, start_response):
    return inner(environ, lambda status, headers, *exc: start_response(status, [*headers, *HEADERS], *exc))
"""
MARKER_DOCKERFILE = """FROM stacklab/{app}
COPY marker.py /opt/marker/marker.py
COPY probe /opt/marker/probe
ENV PYTHONPATH=/opt/marker STACKLAB_MARKER={marker}
CMD {cmd}
"""
# The apps: their image's gunicorn command with the wrapper as the app (a command-line app beats wsgi_app).
APPS = {
    "flask": ("stacklab_flask.wsgi", "app", "python:stacklab_flask.gunicorn_conf", "FLASK_PORT"),
    "django": ("stacklab_django.wsgi", "application", "/etc/stacklab/django-gunicorn.conf.py", "DJANGO_PORT"),
}


def sh(*argv: str, check: bool = True) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=check).stdout.strip()


def image_tag(app: str, marker: str) -> str:
    return f"stacklab/{app}:{STACK}-marker-{marker}"


def build_marker(app: str, marker: str, healthy: bool = True) -> str:
    """The app's image with the marker wrapper; healthy=False: its healthcheck probe always fails."""
    module, attr, conf, _ = APPS[app]
    with tempfile.TemporaryDirectory() as folder:
        context = Path(folder)
        (context / "marker.py").write_text(MARKER_APP.format(module=module, attr=attr))
        (context / "probe").write_text("#!/bin/sh\nexit 1\n")
        (context / "probe").chmod(0o755)
        cmd = json.dumps(["python3", "-m", "gunicorn", "-c", conf, "marker:app"])
        dockerfile = MARKER_DOCKERFILE.format(app=app, marker=marker, cmd=cmd)
        if not healthy:
            dockerfile += "USER root\nRUN cp /opt/marker/probe /usr/local/bin/stacklab-probe\n"
            dockerfile += (
                f"USER {sh('docker', 'image', 'inspect', '--format', '{{.Config.User}}', f'stacklab/{app}')}\n"
            )
        (context / "Dockerfile").write_text(dockerfile)
        # The 20.10 client builds without buildx (the 28.2 one on PATH would not).
        subprocess.run(["/usr/bin/docker", "build", "--quiet", "--tag", image_tag(app, marker), str(context)],
                       check=True, capture_output=True)  # fmt: skip
    return image_tag(app, marker)


def service(app: str) -> str:
    return f"{STACK}_{app}"


def update(app: str, image: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker", "service", "update", "--quiet", "--detach=false", "--no-resolve-image", "--image", image,
         service(app)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip


def healthy_replicas(app: str) -> set[str]:
    """Hostnames (short container ids) of the service's running, healthy containers."""
    ids = sh("docker", "ps", "--quiet", "--filter", f"label=com.docker.swarm.service.name={service(app)}",
             "--filter", "health=healthy").split()  # fmt: skip
    return {i[:12] for i in ids}


def wait_replicas(app: str, count: int, timeout: float = 120) -> set[str]:
    deadline = time.monotonic() + timeout
    while len(replicas := healthy_replicas(app)) != count:
        assert time.monotonic() < deadline, f"{service(app)}: {len(replicas)} healthy replicas, not {count}"
        time.sleep(1)
    return replicas


class Load:
    """Steady GETs of /healthz (the app answers it) through each app's nginx, one thread per app at a bounded
    rate; every answer recorded."""

    def __init__(self, ports: dict[str, int], per_second: int = 25):
        self.ports, self.pause = ports, 1 / per_second
        self.answers: list[tuple[float, str, int, str, str]] = []  # (time, app, status, marker, replica)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(app,), daemon=True) for app in ports]

    def get(self, app: str) -> tuple[int, str, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.ports[app], timeout=10)
        try:
            connection.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
            response = connection.getresponse()
            response.read()
            return (
                response.status,
                response.getheader("X-Stacklab-Marker", ""),
                response.getheader("X-Stacklab-Replica", ""),
            )
        except OSError as exc:
            return 0, "", type(exc).__name__
        finally:
            connection.close()

    def run(self, app: str) -> None:
        while not self.stop.is_set():
            self.answers.append((time.monotonic(), app, *self.get(app)))
            time.sleep(self.pause)

    def failures(self, since: float = 0) -> list[tuple]:
        return [a for a in self.answers if a[0] >= since and not 200 <= a[2] < 400]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join()


@pytest.fixture(scope="module")
def ports():
    plan = target.load("swarm")
    return {app: plan.port(key) for app, (*_, key) in APPS.items()}


@pytest.fixture(scope="module")
def images():
    """The marker images: 2 for each app, 3 (healthcheck fails) for Django. Their tags are removed at the end if no
    container uses them any more; scripts/test-swarm removes them after taking the stack down. (`./run swarm up`
    keeps an image set by `docker service update`: `./run swarm down` first for a second run.)"""
    built = {**{app: build_marker(app, "2") for app in APPS}, "bad": build_marker("django", "3", healthy=False)}
    yield built
    sh("docker", "image", "rm", *built.values(), check=False)


def test_rolling_update_serves_new_code_without_failures(ports, images):
    with Load(ports) as load:
        time.sleep(2)
        start = time.monotonic()
        runs = [threading.Thread(target=update, args=(app, images[app])) for app in APPS]
        for run in runs:
            run.start()
        for run in runs:
            run.join()
        took = time.monotonic() - start
        before = [a for a in load.answers if a[0] < start]
        time.sleep(STALE_SECONDS + 2)  # nginx's cached addresses of the old replicas have expired
        after = time.monotonic() - 2
    print(f"rolling update of flask and django (2 replicas each): {took:.0f} s, {len(load.answers)} requests")
    assert not load.failures(), load.failures()[:5]
    assert before and all(a[3] != "2" for a in before), "the marker served before the update: a stale stack?"
    for app in APPS:
        recent = [a for a in load.answers if a[1] == app and a[0] >= after]
        assert recent and all(a[3] == "2" for a in recent), f"{app}: old code still serves: {recent[:3]}"


class Rollout(threading.Thread):
    """An update run in the background under its own load, to be checked later."""

    def __init__(self, app: str, image: str, port: int):
        super().__init__(daemon=True)
        self.app, self.image, self.load = app, image, Load({app: port})

    def run(self) -> None:
        with self.load:
            start = time.monotonic()
            self.done = update(self.app, self.image)
            self.took = time.monotonic() - start
            time.sleep(3)


@pytest.fixture(scope="module")
def unhealthy_rollout(ports, images):
    """Django updated to an image whose healthcheck fails (swarm needs the 60 s start period and 3 failed probes to
    call it unhealthy): started before the Flask tests below and checked after them, which saves that minute."""
    rollout = Rollout("django", images["bad"], ports["django"])
    rollout.start()
    return rollout


def test_killed_replica_is_replaced_and_dropped_by_nginx(ports, images, unhealthy_rollout):
    victim = sorted(wait_replicas("flask", 2))[0]
    with Load({"flask": ports["flask"]}) as load:
        time.sleep(1)
        killed_at = time.monotonic()
        sh("docker", "kill", victim)
        replicas = wait_replicas("flask", 2)
        replaced = time.monotonic() - killed_at
        time.sleep(STALE_SECONDS + 2)
    print(f"killed replica {victim}: replaced in {replaced:.0f} s")
    assert victim not in replicas
    failed = load.failures()
    assert not failed or failed[-1][0] - killed_at <= STALE_SECONDS, f"failures for longer than {STALE_SECONDS} s"
    late = {a[4] for a in load.answers if a[0] > killed_at + STALE_SECONDS}
    assert victim not in late and late == replicas, (late, replicas)


def test_scaled_to_four_every_replica_serves(ports, images, unhealthy_rollout):
    subprocess.run(["docker", "service", "scale", "--detach=false", f"{service('flask')}=4"], check=True,
                   capture_output=True, timeout=180)  # fmt: skip
    try:
        replicas = wait_replicas("flask", 4)
        time.sleep(STALE_SECONDS + 1)  # nginx's cache of the 2 addresses it knew has expired
        load = Load({"flask": ports["flask"]})
        seen = {load.get("flask")[2] for _ in range(80)}
        assert seen == replicas, f"answered by {seen}, running {replicas}"
    finally:  # back to the stack file's count; not waited for
        sh("docker", "service", "scale", "--detach=true", f"{service('flask')}=2")


def test_update_to_unhealthy_image_rolls_back_by_itself(images, unhealthy_rollout):
    unhealthy_rollout.join(timeout=300)
    print(f"django updated to an image whose healthcheck fails, rolled back: {unhealthy_rollout.took:.0f} s")
    state = sh("docker", "service", "inspect", "--format", "{{.UpdateStatus.State}}", service("django"))
    assert state.startswith("rollback"), (state, unhealthy_rollout.done.stderr)
    spec = "{{.Spec.TaskTemplate.ContainerSpec.Image}}"
    assert sh("docker", "service", "inspect", "--format", spec, service("django")) == images["django"]
    answers = unhealthy_rollout.load.answers
    assert not unhealthy_rollout.load.failures(), unhealthy_rollout.load.failures()[:5]
    assert {a[3] for a in answers} == {"2"}, "a request reached the unhealthy image, or the old code is gone"
