"""VM only (issue 20, item 5): Apache apart from the apps and bounded. nginx's workers run as a user of their own
(stacklab-nginx) in a group nothing else is in (stacklab-front); the gunicorn sockets open to that group only, so
Apache's CGI programs (www-data) cannot reach an app behind nginx's back. And a flood of CGI requests
(`ab -c 512`) meets Apache's unit ceilings: no process of the server is OOM-killed or restarted, sshd and the
apps keep answering.

Environment: as tests/health/test_vm.py (STACKLAB_VM_HOST, STACKLAB_VM_STACKS). The flood is marked `attack`
(scripts/test-vm's attacks run, on the quiet one-host stand-in).
"""

import os
import shlex
import threading
import time
import uuid

import pytest
from stacklab_core import catalog, checks
from stacklab_testing.target import skip_unless_vm

FRONT_USER, FRONT_GROUP = "stacklab-nginx", "stacklab-front"  # ansible/group_vars/all/front.yml
WANTED = [s for s in (os.environ.get("STACKLAB_VM_STACKS") or ",".join(catalog.stacks())).split(",") if s]
SOCKETS = [s.stack for s in catalog.SERVICES.values() if s.gunicorn and s.front_unit and s.stack in WANTED]

# Connects to a Unix socket as whoever runs it; prints the app's status line, or exits 3 when refused.
CONNECT = """
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
except PermissionError as exc:
    print(exc)
    sys.exit(3)
s.sendall(b"GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n")
print(s.recv(200).split(b"\\r\\n")[0].decode())
"""


@pytest.fixture(scope="module", autouse=True)
def _vm_only(target):
    skip_unless_vm(target)


def show(host, unit: str, *props: str) -> dict[str, str]:
    out = host.check_output(f"systemctl show {unit} " + " ".join(f"-p {p}" for p in props))
    return dict(line.split("=", 1) for line in out.splitlines())


def connect_as(vm, user: str, path: str):
    return vm.run(f"runuser -u {user} -- python3 -c {shlex.quote(CONNECT)} {path}")


# ---------------------------------------------------------------- apart


def test_nginx_workers_run_as_their_own_user(vm):
    master = show(vm, "nginx", "MainPID")["MainPID"]
    workers = vm.check_output(f"ps -o user:32= --ppid {master}").split()
    assert workers, "nginx has no workers"
    assert set(workers) == {FRONT_USER}, f"nginx's workers run as {sorted(set(workers))}"


def test_only_nginx_is_in_the_front_group(vm):
    gid = vm.group(FRONT_GROUP).gid
    passwd = [line.split(":") for line in vm.check_output("getent passwd").splitlines()]
    members = {fields[0] for fields in passwd if fields[3] == str(gid)}
    members |= set(filter(None, vm.check_output(f"getent group {FRONT_GROUP}").split(":")[3].split(",")))
    assert members == {FRONT_USER}
    assert FRONT_GROUP not in vm.user("www-data").groups, "Apache's user (and its CGI programs) must stay out"


@pytest.mark.parametrize("app", SOCKETS or ["-"])
def test_gunicorn_socket_opens_for_nginx_user_only(vm, app):
    if app == "-":
        pytest.skip("no gunicorn app behind nginx here")
    path = f"/run/stacklab-{app}.sock"  # its owners: test_vm.py's test_gunicorn_socket_opens_for_nginx_only
    refused = connect_as(vm, "www-data", path)
    assert refused.rc == 3, f"www-data (Apache's CGI) reached {path}: {refused.stdout} {refused.stderr}"
    allowed = connect_as(vm, FRONT_USER, path)
    assert allowed.rc == 0, allowed.stdout + allowed.stderr
    assert allowed.stdout.startswith("HTTP/1."), f"{app} did not answer nginx's user: {allowed.stdout!r}"


# ---------------------------------------------------------------- bounded

CROWD, REQUESTS, SECONDS = 512, 4096, 45  # ab's concurrency, its requests, and its time limit
# Seconds a new SSH session may take during the flood: answering is the point. A login alone is about 0.3 s on a
# quiet machine, but took 10-16 s with no flood at all on the shared 2-core CI machine at load average 50.
SSH_WITHIN = 30.0


# Per unit, in one SSH session: its main process, restarts, and the OOM killer's kills in its cgroup
# (memory.events on cgroup v2, memory.oom_control on v1; "none" when neither is there).
STATE = r"""
for unit; do
  set -- $(systemctl show -p MainPID -p NRestarts -p ControlGroup --value "$unit")
  kills=$(grep -hs '^oom_kill ' "/sys/fs/cgroup$3/memory.events" "/sys/fs/cgroup/memory$3/memory.oom_control" \
    | head -1 | cut -d' ' -f2)
  echo "$unit $1 $2 ${kills:-none}"
done
"""


def states(vm, units: list[str]) -> dict[str, tuple[str, ...]]:
    """unit -> (MainPID, NRestarts, OOM kills)."""
    out = vm.check_output(f"bash -c {shlex.quote(STATE)} states {' '.join(units)}")
    found = {line.split()[0]: tuple(line.split()[1:]) for line in out.splitlines()}
    assert all(state[2] != "none" for state in found.values()), f"no OOM counter: {found}"
    return found


@pytest.mark.attack
def test_a_cgi_flood_kills_nothing_and_leaves_ssh_and_apps_answering(target, vm):
    props = show(vm, "apache2", "MemoryMax", "MemoryHigh", "TasksMax")
    assert all(value.isdigit() for value in props.values()), f"Apache has no ceiling: {props}"
    others = [s for s in catalog.SERVICES.values() if s.stack in WANTED and s.name != "cgi"]
    units = sorted({"apache2", "ssh", *(u for s in others for u in s.units)})
    before = states(vm, units)
    nonce = uuid.uuid4().hex[:8]
    url = f"http://127.0.0.1:{target.port('CGI_PORT')}/cgi-bin/echo_cgi.py?message=flood{nonce}"
    flood: dict = {}

    def run_ab():  # inside the VM: Debian's apache2 depends on apache2-utils (ab)
        flood["ab"] = vm.run(f"timeout {SECONDS + 15} ab -q -r -s 30 -t {SECONDS} -n {REQUESTS} -c {CROWD} '{url}'")

    attack = threading.Thread(target=run_ab)
    flood_started = time.time() - 1
    attack.start()
    slow, failed = [], []
    time.sleep(3)  # the crowd is in
    while attack.is_alive():
        started = time.monotonic()
        vm.check_output("true")  # a whole new SSH session: sshd forks, authenticates, runs a command
        if (seconds := time.monotonic() - started) > SSH_WITHIN:
            slow.append(round(seconds, 1))
        results = checks.run(target.address, target.plan, [s.name for s in others], timeout=5.0)
        failed += [r for r in results if not r.ok]
        time.sleep(1)
    attack.join()
    ab = flood["ab"]
    assert ab.rc == 0, f"ab: {ab.rc} {ab.stdout[-1500:]} {ab.stderr[-500:]}"
    assert not slow, f"SSH sessions took {slow} s during the flood"
    assert not failed, f"apps failed during the flood: {[(r.name, r.detail) for r in failed[:5]]}"
    # Apache's access log is in the journal (its piped logger, ansible/roles/cgi: cgi_access_log); --sync: every
    # line journald has received is readable.
    statuses = vm.check_output(
        "journalctl --sync && journalctl --quiet --no-pager --identifier apache2 --output cat "
        f"--since @{int(flood_started)} | awk '/message=flood{nonce}/ {{print $9}}'"
    )
    counts = {code: statuses.split().count(code) for code in set(statuses.split())}
    assert counts.get("200", 0) > 0, f"the echo answered no one: {counts}"
    assert set(counts) <= {"200", "503"}, f"a flood is queued or refused with 503, nothing else: {counts}"
    after = states(vm, units)
    changed = {u: (before[u], after[u]) for u in units if before[u] != after[u]}
    assert not changed, f"killed or restarted during the flood ((MainPID, NRestarts, OOM kills)): {changed}"
