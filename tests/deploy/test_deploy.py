"""`fab deploy`, `rollback`, `releases`, `status` against a real stand-in provisioned by Ansible (scripts/test-deploy).

The tests run in file order and share the host: a first good release A, then B under load, then broken releases
that must leave B serving, then a rollback to A. A and B come from module fixtures (release_a, release_b): a test
that needs them has them whichever tests ran before it. Every release is built from a clone of this checkout's HEAD
whose web apps add `X-Stacklab-Build: <marker>` to their responses, so the test sees which build answers.
"""

import shlex
import socket
import subprocess
from dataclasses import dataclass, field

import pytest
from stacklab_core import layout
from stacklab_core.catalog import SERVICES
from stacklab_core.runtime import SHUTTING_DOWN
from stacklab_testing.deploy import (
    HOST,
    REPO,
    SSH_CONFIG,
    TARGET,
    deployed_name,
    release_lines,
    served_marker,
    steady_load,
)

pytestmark = pytest.mark.timeout(900)


@dataclass
class Deployed:
    """A good release a module fixture deployed, and what was seen around that deploy (the test of the deploy reads
    it; the tests after it need the release in place)."""

    name: str  # as `fab deploy` printed it
    marker: str  # the X-Stacklab-Build its apps answer with
    seen: dict = field(default_factory=dict)


def assert_serving(plan, marker: str) -> None:
    for key, path in (("FLASK_PORT", "/"), ("DJANGO_PORT", "/accounts/login/"), ("WSGI_PORT", "/")):
        assert served_marker(int(plan[key]), path) == marker, f"{key} {path} does not serve build {marker}"


def assert_no_failed_request(load, minimum: int = 20) -> None:
    summary = load.summary()
    print(f"load over {load.seconds:.1f} s: {summary}")
    assert load.failures == [], f"requests failed during the deploy: {load.failures[:10]}"
    for name, tally in summary.items():
        assert tally["ok"] >= minimum, f"{name}: only {tally['ok']} requests made it: the load was not steady"


def read_to_close(sock: socket.socket) -> bytes:
    """All a server sends until it closes the connection; a reset raises (ConnectionResetError)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def assert_nothing_refused(load) -> None:
    refused = {name: tally["refused"] for name, tally in load.summary().items() if tally["refused"]}
    assert not refused, f"connections refused during the deploy: {refused}"


def socket_units(on_host) -> dict[str, str]:
    """Every stacklab socket unit -> its state and ActiveEnterTimestamp: the time changes only when systemd closed
    the listening socket and opened it again."""
    listed = on_host("systemctl list-units --type=socket --all --plain --no-legend 'stacklab-*'")
    names = [line.split()[0] for line in listed.splitlines() if line.strip()]
    shown = on_host(f"systemctl show -p Id,ActiveState,ActiveEnterTimestamp {' '.join(names)}")
    units, unit = {}, ""
    for line in shown.splitlines():
        key, _, value = line.partition("=")
        if key == "Id":
            unit = value
        elif key:
            units[unit] = f"{units.get(unit, '')} {key}={value}".strip()
    return units


def main_pids(on_host, units: list[str]) -> dict[str, str]:
    out = on_host(f"systemctl show -p MainPID {' '.join(units)}")
    return dict(zip(units, (line.partition("=")[2] for line in out.splitlines() if line), strict=True))


TCP_UNITS = ["stacklab-echo", "stacklab-recho", "stacklab-echo-select", "stacklab-chat", "stacklab-hello-www"]


def assert_pruned(listed: dict[str, str], keep: int, on_host) -> None:
    """At most `keep` releases, besides those a running unit was started from (prune keeps them: the units an
    unchanged app left running may hold paths in them)."""
    served = {line.split()[-1] for line in on_host(f"cat {layout.SERVED_FILE}").splitlines() if line.strip()}
    extra = [name for name in sorted(listed)[:-keep] if name not in served]
    assert not extra, f"--keep {keep} left {extra} besides {sorted(listed)[-keep:]} and the served {served}"


def books(on_host) -> int:
    code = "from stacklab_django.books.models import Book; print(Book.objects.count())"
    return int(on_host(f"sudo stacklab-release manage shell -c {shlex.quote(code)}").split()[-1])


# ---------------------------------------------------------------- refusals that touch nothing


def test_refuses_a_dirty_work_tree(fab, source):
    path, _marker = source()
    (path / "services/flask/src/stacklab_flask/wsgi.py").write_text("# uncommitted\n", "utf-8")
    before = fab("releases").stdout
    result = fab("deploy", source=path)
    assert result.returncode == 1
    assert "uncommitted change" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.stderr
    assert fab("releases").stdout == before


def test_unreachable_host_is_one_clear_line(fab, tmp_path):
    config = tmp_path / "ssh_config"
    config.write_text("Host nowhere\n  HostName 127.0.0.1\n  Port 1\n  User deploy\n")
    result = fab("releases", host="nowhere", ssh_config=str(config))
    assert result.returncode == 1
    assert "unreachable" in result.stderr and "Traceback" not in result.stderr


def test_wrong_key_is_one_clear_line(fab, tmp_path):
    key = tmp_path / "wrong_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    with open(SSH_CONFIG) as f:
        lines = f.read().split("\n")
    config = tmp_path / "ssh_config"
    config.write_text("\n".join(f"  IdentityFile {key}" if "IdentityFile" in line else line for line in lines))
    result = fab("releases", host=HOST, ssh_config=str(config))
    assert result.returncode == 1
    assert "login refused" in result.stderr and "Traceback" not in result.stderr


def test_never_provisioned_host_is_named_so(fab):
    standin = [str(REPO / "hosting" / "standin")]
    subprocess.run([*standin, "up", "stacklab-bare", "--ssh-port", "2299", "--publish", "none"], check=True)
    try:
        result = fab("deploy", host="stacklab-bare", ssh_config=SSH_CONFIG)
    finally:
        subprocess.run([*standin, "down", "stacklab-bare"], check=True)
    assert result.returncode == 1
    assert "never provisioned" in result.stderr and "provision" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- good releases


def gunicorn_masters(on_host) -> dict[str, str]:
    """MainPID of each gunicorn unit: the same after a deploy proves a reload (HUP), not a restart."""
    units = [s.unit for s in SERVICES.values() if s.gunicorn]
    pids = on_host(f"systemctl show --property=MainPID --value {' '.join(units)}").split()
    assert len(pids) == len(units) and "0" not in pids, f"gunicorn units not all running: {pids}"
    return dict(zip(units, pids, strict=True))


@pytest.fixture(scope="module")
def release_a(fab, source, on_host) -> Deployed:
    """The first good release, A (test_deploy_serves_the_new_release checks its deploy)."""
    path, marker = source()
    masters = gunicorn_masters(on_host)
    result = fab("deploy", source=path)
    assert result.returncode == 0, result.stderr
    return Deployed(deployed_name(result.stdout), marker, {"masters": masters})


@pytest.fixture(scope="module")
def release_b(fab, source, plan, on_host, release_a) -> Deployed:
    """Release B over A, deployed under steady load with a chat session open (test_deploy_under_load_fails_no_request
    checks that deploy); the broken releases after it must leave B serving, the rollback goes back to A."""
    path, marker = source()
    sockets, pids = socket_units(on_host), main_pids(on_host, TCP_UNITS)
    load = steady_load(plan)
    with socket.create_connection((TARGET, int(plan["CHAT_PORT"])), timeout=30) as chat, load:
        result = fab("deploy", "--keep", "3", source=path)
        session = read_to_close(chat)
    assert result.returncode == 0, result.stderr
    seen = {"sockets": sockets, "pids": pids, "load": load, "session": session}
    return Deployed(deployed_name(result.stdout), marker, seen)


def test_deploy_serves_the_new_release(fab, plan, on_host, release_a):
    assert_serving(plan, release_a.marker)
    assert gunicorn_masters(on_host) == release_a.seen["masters"], "a gunicorn unit was restarted, not reloaded"
    listed = release_lines(fab("releases").stdout)
    assert listed[release_a.name] == "*"


def test_deploy_under_load_fails_no_request(fab, plan, on_host, release_a, release_b):
    """Web apps and socket servers under steady load through a deploy that restarts the socket servers: no request
    fails, no connection is refused, their listening sockets stay open (systemd's socket units), and an open chat
    session is told why it ends, then closed cleanly."""
    sockets, pids, load, session = (release_b.seen[key] for key in ("sockets", "pids", "load", "session"))
    assert all(f"{unit}.socket" in sockets for unit in TCP_UNITS), sockets
    assert_no_failed_request(load)
    assert_nothing_refused(load)
    assert socket_units(on_host) == sockets, "a listening socket was closed during the deploy"
    restarted = main_pids(on_host, TCP_UNITS)
    assert all(restarted[u] != pids[u] for u in TCP_UNITS), f"not every socket server restarted: {pids} {restarted}"
    assert session.endswith(SHUTTING_DOWN), f"the chat session did not end with the last line: {session[-300:]!r}"
    seen = load.tallies["flask bookshop"].headers
    builds = {release_a.marker, release_b.marker}
    assert set(seen) == builds, f"the load saw builds {seen}: not the old one then the new one"
    assert_serving(plan, release_b.marker)
    listed = release_lines(fab("releases").stdout)
    assert listed[release_b.name] == "*" and listed[release_a.name] == "-"
    assert_pruned(listed, 3, on_host)


# ---------------------------------------------------------------- broken releases leave the old one serving


def test_release_that_cannot_start_is_rejected_before_the_switch(fab, source, plan, load, release_b):
    path, _marker = source("cannot-start")
    with load:
        result = fab("deploy", source=path)
    assert result.returncode == 1
    assert "cannot start" in result.stderr and f"{release_b.name} is still serving" in result.stderr
    assert "Traceback (most recent call last)" not in result.stderr.split("tests/deploy: cannot start")[-1]
    assert_no_failed_request(load)
    assert_serving(plan, release_b.marker)
    assert release_lines(fab("releases").stdout)[release_b.name] == "*"


def test_failing_migration_is_rejected_and_loses_no_data(fab, source, plan, load, on_host, release_b):
    before = books(on_host)
    assert before > 0, "the stand-in's bookshop has no books to lose"
    path, _marker = source("bad-migration")
    with load:
        result = fab("deploy", source=path)
    assert result.returncode == 1
    assert "migrations failed" in result.stderr and "this migration fails on purpose" in result.stderr
    assert_no_failed_request(load)
    assert books(on_host) == before
    assert_serving(plan, release_b.marker)
    listed = release_lines(fab("releases").stdout)
    assert listed[release_b.name] == "*"
    assert_pruned(listed, 3, on_host)


def test_unhealthy_release_is_switched_back(fab, source, plan, release_a, release_b):
    path, _marker = source("unhealthy")
    result = fab("deploy", "--gate-seconds", "8", source=path)
    assert result.returncode == 1
    assert f"rolled back to {release_b.name} (healthy again)" in result.stderr
    assert "failed its health checks (flask: GET /healthz: status 500" in result.stderr  # the failing check named
    assert_serving(plan, release_b.marker)
    listed = release_lines(fab("releases").stdout)
    assert listed[release_b.name] == "*" and listed[release_a.name] == "-"


def test_broken_page_behind_a_healthy_healthz_is_switched_back(fab, source, plan, release_b):
    path, _marker = source("broken-page")
    result = fab("deploy", "--gate-seconds", "8", source=path)
    assert result.returncode == 1
    assert f"rolled back to {release_b.name} (healthy again)" in result.stderr
    assert "failed its health checks (flask-page: GET /detail/id3: status 500" in result.stderr
    assert "flask: GET /healthz" not in result.stderr  # its health endpoint passed: the page check caught it
    assert_serving(plan, release_b.marker)
    assert release_lines(fab("releases").stdout)[release_b.name] == "*"


# ---------------------------------------------------------------- rollback and status


def test_rollback_restores_the_previous_release(fab, plan, load, on_host, release_a, release_b):
    sockets = socket_units(on_host)
    with load:
        result = fab("rollback")
    assert result.returncode == 0, result.stderr
    assert_no_failed_request(load, minimum=5)
    assert_nothing_refused(load)
    assert socket_units(on_host) == sockets, "a listening socket was closed during the rollback"
    assert_serving(plan, release_a.marker)
    listed = release_lines(fab("releases").stdout)
    assert listed[release_a.name] == "*" and listed[release_b.name] == "-"


def test_status_reports_every_service_healthy(fab, plan):
    from stacklab_core.checks import CHECKS
    from stacklab_deploy.gate import PAGES

    result = fab("status")
    assert result.returncode == 0, result.stdout + result.stderr
    header, *lines = result.stdout.splitlines()
    assert header.endswith(f", checked at {TARGET}"), header  # the stand-in's published address, not SSH's
    rows = {line.split()[0]: line.split()[1] for line in lines if line.strip()}
    for name in [*CHECKS, *PAGES]:
        assert rows.get(name) == "ok", f"{name}: {rows.get(name)!r} in\n{result.stdout}"
    units = [name for name in rows if name.startswith("stacklab-")]
    assert len(units) >= 8 and all(rows[u] == "ok" for u in units), result.stdout
