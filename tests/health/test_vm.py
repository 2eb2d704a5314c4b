"""VM only: what Ansible promises on a server beyond the services answering (tests/health/test_services.py does
that for both targets): sandboxed units under their own users that start at boot, the release layout, the
firewall (also black-box, from this machine), key-only SSH (password login refused), security updates, time sync,
and PostgreSQL reachable from the app servers only.

Environment (scripts/test-vm sets it): STACKLAB_VM_HOST (testinfra spec of the app server, e.g.
ssh://stacklab-vm?ssh_config=hosting/cache/ssh/config&sudo=true), STACKLAB_VM_DB_HOST (the database server's spec
when it is another host), STACKLAB_VM_STACKS (the stacks the server should have, comma-separated; default all:
a stack that is not listed must be absent).
"""

import json
import os
import re
import socket
import urllib.parse

import paramiko
import pytest
from stacklab_core import catalog
from stacklab_testing.target import ROOT, skip_unless_vm

STACKS = {  # stack -> the systemd units (services) Ansible gives it on the app server
    stack: list(dict.fromkeys(u for s in members for u in s.units)) for stack, members in catalog.stacks().items()
}
PORTS = {  # stack -> its ports in the plan (the firewall opens exactly these)
    stack: [s.port_key for s in members] for stack, members in catalog.stacks().items()
}
GUNICORN = tuple(s.stack for s in catalog.SERVICES.values() if s.gunicorn)
# gunicorn behind nginx, on a socket only nginx may open
SOCKET_ACTIVATED = tuple(s.stack for s in catalog.SERVICES.values() if s.gunicorn and s.front_unit)
WANTED = [s for s in (os.environ.get("STACKLAB_VM_STACKS") or ",".join(STACKS)).split(",") if s]
ABSENT = [s for s in STACKS if s not in WANTED]
APP_UNITS = sorted({u for s in WANTED for u in STACKS[s] if u.startswith("stacklab-")})
ALL_UNITS = sorted({u for s in WANTED for u in STACKS[s]})
DROP_TIMEOUT = 2.0


def app_of(unit: str) -> str:
    """stacklab-echo-select -> echo: the app (user stacklab-<app>) a unit belongs to."""
    return next(s for s, units in STACKS.items() if unit in units)


@pytest.fixture(scope="module", autouse=True)
def _vm_only(target):
    skip_unless_vm(target)


def bridge_address(host) -> str:
    """The server's own address (its first interface address), which this machine routes to directly."""
    return host.check_output("hostname -I").split()[0]


def show(host, unit: str, *props: str) -> dict[str, str]:
    out = host.check_output(f"systemctl show {unit} " + " ".join(f"-p {p}" for p in props))
    return dict(line.split("=", 1) for line in out.splitlines())


def dropped(address: str, port: int) -> bool:
    """True when a TCP connection gets no answer at all (a firewall drop), False when it connects."""
    try:
        socket.create_connection((address, port), timeout=DROP_TIMEOUT).close()
    except TimeoutError:
        return True
    return False


# ---------------------------------------------------------------- units


@pytest.mark.parametrize("unit", ALL_UNITS)
def test_unit_runs_and_starts_at_boot(vm, unit):
    service = vm.service(unit)
    assert service.is_running, vm.run(f"systemctl status --no-pager {unit}").stdout[-2000:]
    assert service.is_enabled


@pytest.mark.parametrize("stack", ABSENT or ["-"])
def test_other_stacks_are_absent(vm, stack):
    if stack == "-":
        pytest.skip("every stack is wanted")
    own = [u for u in STACKS[stack] if u not in {x for s in WANTED for x in STACKS[s]}]
    present = [u for u in own if vm.file(f"/etc/systemd/system/{u}.service").exists or vm.service(u).is_running]
    assert not present, f"{stack} was not asked for, yet {present} exist"


@pytest.mark.parametrize("unit", APP_UNITS)
def test_app_unit_is_sandboxed(vm, unit):
    props = show(vm, unit, "User", "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices",
                 "Restart", "ExecStart", "EnvironmentFiles", "CapabilityBoundingSet", "RestrictNamespaces")  # fmt: skip
    app = app_of(unit)
    assert props["User"] == f"stacklab-{app}"
    assert props["NoNewPrivileges"] == "yes"
    assert props["ProtectSystem"] == "strict"
    assert props["ProtectHome"] == "yes"
    assert props["PrivateTmp"] == "yes"
    assert props["PrivateDevices"] == "yes"
    assert props["RestrictNamespaces"] == "yes"
    assert props["CapabilityBoundingSet"] == "", "no capabilities at all"
    assert props["Restart"] == "on-failure"
    assert f"/srv/stacklab/current/venvs/{app}/bin/python" in props["ExecStart"], "runs through current/"
    assert f"/etc/stacklab/{app}.env" in props["EnvironmentFiles"]


def limits(host, unit: str) -> dict[str, int]:
    """MemoryMax, TasksMax and LimitNOFILE of a unit, each a number: "infinity" (no limit) fails the int()."""
    props = show(host, unit, "MemoryMax", "TasksMax", "LimitNOFILE")
    return {key: int(value) for key, value in props.items()}


@pytest.mark.parametrize("unit", APP_UNITS)
def test_app_unit_has_memory_task_and_file_limits(vm, unit):
    """Each unit has its own ceilings, and runs well under them (docs/security.md: sized from these figures)."""
    ceiling = limits(vm, unit)
    assert 64 * 2**20 <= ceiling["MemoryMax"] <= 1024 * 2**20, "some room, and less than a 1 GB VM"
    assert 16 <= ceiling["TasksMax"] <= 1024
    assert 1024 <= ceiling["LimitNOFILE"] <= 65536
    used = show(vm, unit, "MemoryCurrent", "TasksCurrent")
    if used["MemoryCurrent"].isdigit():  # [not set] where the container's cgroups do not account memory
        assert int(used["MemoryCurrent"]) < ceiling["MemoryMax"] / 2, used
    assert int(used["TasksCurrent"]) < ceiling["TasksMax"] / 2, used


@pytest.mark.parametrize("unit", ["ssh", "postgresql@17-main"])
def test_sshd_and_postgresql_are_the_oom_killers_last_choice(vm, db_vm, unit):
    host = db_vm if unit.startswith("postgresql") else vm
    if unit.startswith("postgresql") and "django" not in WANTED:
        pytest.skip("no PostgreSQL here")
    props = show(host, unit, "OOMScoreAdjust", "MainPID")
    assert int(props["OOMScoreAdjust"]) <= -500
    if host.run("systemd-detect-virt --container").rc != 0:  # a container may not lower it (no CAP_SYS_RESOURCE)
        assert host.file(f"/proc/{props['MainPID']}/oom_score_adj").content_string.strip() == props["OOMScoreAdjust"]


@pytest.mark.parametrize("unit", APP_UNITS)
def test_app_process_has_its_own_user_and_no_privileges(vm, unit):
    pid = show(vm, unit, "MainPID")["MainPID"]
    assert pid != "0", f"{unit} has no main process"
    status = dict(line.split(":", 1) for line in vm.file(f"/proc/{pid}/status").content_string.splitlines())
    uid = vm.user(f"stacklab-{app_of(unit)}").uid
    assert status["Uid"].split() == [str(uid)] * 4, f"{unit}: uids {status['Uid'].strip()}, want {uid}"
    assert uid != 0
    assert status["NoNewPrivs"].strip() == "1"
    assert status["CapEff"].strip() == "0000000000000000"


@pytest.mark.parametrize("app", [a for a in GUNICORN if a in WANTED])
def test_gunicorn_reloads_gracefully(vm, app):
    props = show(vm, f"stacklab-{app}", "Type", "ExecReload", "CanReload")
    assert props["Type"] == "notify"
    assert props["CanReload"] == "yes"
    assert "HUP" in props["ExecReload"]


@pytest.mark.parametrize("app", [a for a in SOCKET_ACTIVATED if a in WANTED])
def test_gunicorn_socket_opens_for_nginx_only(vm, app):
    sock = vm.file(f"/run/stacklab-{app}.sock")
    assert sock.is_socket
    # nginx's group alone (test_apart.py connects as www-data, refused, and as nginx's user)
    assert (sock.user, sock.group, sock.mode) == ("root", "stacklab-front", 0o660)
    assert vm.service(f"stacklab-{app}.socket").is_enabled


@pytest.mark.parametrize("app", sorted({app_of(u) for u in APP_UNITS}))
def test_settings_are_private_to_the_app(vm, app):
    env = vm.file(f"/etc/stacklab/{app}.env")
    assert (env.user, env.group, env.mode) == ("root", f"stacklab-{app}", 0o640)


def test_django_account_passwords_are_root_only(vm):
    if "django" not in WANTED:
        pytest.skip("no Django here")
    accounts = vm.file("/etc/stacklab/django-accounts.env")
    assert (accounts.user, accounts.mode) == ("root", 0o600)
    assert "DJANGO_SUPERUSER_PASSWORD" not in vm.file("/etc/stacklab/django.env").content_string


def test_release_layout(vm):
    current = vm.file("/srv/stacklab/current")
    assert current.is_symlink
    name = current.linked_to.rsplit("/", 1)[1]
    assert re.fullmatch(r"\d{8}T\d{6}-[0-9a-z]{4,}", name), name
    assert f"STACKLAB_RELEASE={name}" in vm.file(f"/srv/stacklab/releases/{name}/RELEASE").content_string
    for app in {app_of(u) for u in APP_UNITS}:
        assert vm.file(f"/srv/stacklab/current/venvs/{app}/bin/python").exists
    assert vm.check_output("stacklab-release current") == name, "the tool fab deploy uses sees it"


# ---------------------------------------------------------------- reserved ports


def reserved_ports(host) -> set[int]:
    """The kernel's net.ipv4.ip_local_reserved_ports on a host, ranges expanded."""
    reserved = set()
    for part in filter(None, host.file("/proc/sys/net/ipv4/ip_local_reserved_ports").content_string.strip().split(",")):
        first, _, last = part.partition("-")
        reserved.update(range(int(first), int(last or first) + 1))
    return reserved


@pytest.mark.parametrize("which", ["app", "db"])
def test_lab_ports_are_out_of_the_ephemeral_range(vm, db_vm, target, which):
    """No client's source port can take a lab port (the course's 50000-50004 lie in Linux's ephemeral range)."""
    host = vm if which == "app" else db_vm
    wanted = {target.port(key) for key in target.plan if key.endswith("_PORT")}
    assert wanted, "no ports in the plan"
    assert wanted <= reserved_ports(host), f"not reserved: {sorted(wanted - reserved_ports(host))}"
    assert host.file("/etc/sysctl.d/60-stacklab-reserved-ports.conf").contains("^net.ipv4.ip_local_reserved_ports")


# ---------------------------------------------------------------- firewall


def test_firewall_drops_by_default_and_opens_exactly_the_lab_ports(vm, target):
    ruleset = vm.check_output("nft list table inet stacklab")
    assert re.search(r"hook input priority filter; policy drop;", ruleset)
    assert re.search(r"hook forward priority filter; policy drop;", ruleset)
    listing = json.loads(vm.check_output("nft --json list set inet stacklab lab_tcp_ports"))["nftables"]
    elements = {port for item in listing if "set" in item for port in item["set"].get("elem", [])}
    expected = {target.port(key) for stack in WANTED for key in PORTS[stack]}
    assert elements == expected
    assert vm.service("nftables").is_enabled


def test_firewall_drops_a_port_it_does_not_list(vm, target):
    """Black box: a listener on an unlisted port gets no answer from here, a lab port does."""
    address = bridge_address(vm)
    unit = "stacklab-test-listener"
    vm.run(f"systemctl stop {unit}")
    vm.check_output(f"systemd-run --unit {unit} --uid nobody python3 -m http.server 9999 --bind 0.0.0.0")
    try:
        vm.run("for i in $(seq 50); do ss -ltn | grep -q ':9999 ' && break; sleep 0.1; done")
        assert vm.socket("tcp://0.0.0.0:9999").is_listening
        assert dropped(address, 9999), "port 9999 answers through the firewall"
        open_port = target.port(PORTS[WANTED[0]][0])
        assert not dropped(address, open_port), f"lab port {open_port} does not answer on {address}"
    finally:
        vm.run(f"systemctl stop {unit}")


# ---------------------------------------------------------------- SSH, accounts, updates, time


def ssh_settings(target) -> dict:
    """Host name, port, user and key of the VM's SSH, from the ssh_config named in its testinfra spec (the admin
    account: the suite's root checks need its sudo)."""
    url = urllib.parse.urlparse(target.vm_host)
    config = urllib.parse.parse_qs(url.query).get("ssh_config", [None])[0]
    if url.scheme != "ssh" or not config:
        pytest.skip("needs an ssh:// spec with ssh_config to reach sshd directly")
    found = paramiko.SSHConfig.from_path(os.path.expanduser(config)).lookup(url.hostname)
    return {
        "hostname": found["hostname"],
        "port": int(found.get("port", 22)),
        "user": found.get("user", "admin"),
        "key": found["identityfile"][0],
    }


def transport(settings: dict) -> paramiko.Transport:
    t = paramiko.Transport((settings["hostname"], settings["port"]))
    t.start_client(timeout=10)
    return t


def test_sshd_effective_settings(vm):
    effective = dict(line.split(" ", 1) for line in vm.check_output("sshd -T").splitlines() if " " in line)
    assert effective["permitrootlogin"] == "no"
    assert effective["passwordauthentication"] == "no"
    assert effective["kbdinteractiveauthentication"] == "no"
    assert effective["authenticationmethods"] == "publickey"


def test_a_bad_sshd_drop_in_is_refused_and_ssh_keeps_working(vm, target):
    """The drop-in's validate command (ansible/roles/base/tasks/ssh.yml) turns a bad candidate away, passes the
    one in place, and the key still logs in."""
    installed = "/etc/ssh/sshd_config.d/00-stacklab.conf"
    before = vm.file(installed).sha256sum
    candidate = vm.check_output("mktemp")
    try:
        vm.run_expect([0], f"printf 'PermitRootLogin no\\nPasswordAuthentication maybe\\n' > {candidate}")
        refused = vm.run(f"/usr/local/sbin/stacklab-sshd-check {candidate}")
        assert refused.rc == 1
        assert f"{candidate} line 2" in refused.stderr, refused.stderr
        vm.run_expect([0], f"/usr/local/sbin/stacklab-sshd-check {installed}")
    finally:
        vm.run(f"rm -f {candidate}")
    assert vm.file(installed).sha256sum == before
    settings = ssh_settings(target)
    key = paramiko.Ed25519Key.from_private_key_file(settings["key"])
    t = transport(settings)
    try:
        assert t.auth_publickey(settings["user"], key) == []
    finally:
        t.close()


def test_password_login_is_refused(target):
    """Black box, with sshd itself: it offers public keys only, and a password is turned away."""
    settings = ssh_settings(target)
    t = transport(settings)
    try:
        with pytest.raises(paramiko.BadAuthenticationType) as offered:
            t.auth_none("deploy")
        assert offered.value.allowed_types == ["publickey"]
        with pytest.raises((paramiko.BadAuthenticationType, paramiko.AuthenticationException)):
            t.auth_password("deploy", "a guess")
        assert not t.is_authenticated()
    finally:
        t.close()


def test_root_login_is_refused_even_with_the_admin_key(target):
    """The suite's own identity (the admin account, full sudo) logs in; root, with that very key, does not."""
    settings = ssh_settings(target)
    key = paramiko.Ed25519Key.from_private_key_file(settings["key"])
    for user, allowed in (("root", False), (settings["user"], True)):
        t = transport(settings)
        try:
            if allowed:
                assert t.auth_publickey(user, key) == [], f"the key logs in as {user}"
            else:
                with pytest.raises(paramiko.AuthenticationException):
                    t.auth_publickey(user, key)
        finally:
            t.close()


def test_deploy_user_has_no_password_and_only_its_sudoers_list(vm):
    """deploy is in no group that sudo honours (tests/deploy/test_privilege.py checks its list and refusals)."""
    assert not {"sudo", "admin", "wheel"} & set(vm.user("deploy").groups)
    for user in ("deploy", "admin"):
        assert vm.check_output(f"passwd --status {user}").split()[1] == "L", f"{user}: password locked"
    sudoers = vm.file("/etc/sudoers.d/stacklab-deploy")
    assert (sudoers.user, sudoers.mode) == ("root", 0o440)


def test_security_updates_are_on(vm):
    assert vm.package("unattended-upgrades").is_installed
    config = vm.check_output("apt-config dump APT::Periodic")
    assert 'APT::Periodic::Unattended-Upgrade "1";' in config
    assert 'APT::Periodic::Update-Package-Lists "1";' in config
    assert vm.service("apt-daily-upgrade.timer").is_enabled


def test_time_sync(vm):
    timesyncd = vm.service("systemd-timesyncd")
    assert timesyncd.is_enabled
    if vm.run("systemd-detect-virt --container").rc == 0:
        # ConditionVirtualization=!container: in a container the host keeps the clock, by systemd's design.
        assert show(vm, "systemd-timesyncd", "ConditionResult")["ConditionResult"] == "no"
    else:
        assert timesyncd.is_running
    assert "pool.ntp.org" in vm.file("/etc/systemd/timesyncd.conf.d/stacklab.conf").content_string


# ---------------------------------------------------------------- PostgreSQL (Django's database)


@pytest.fixture
def _django(db_vm):
    if "django" not in WANTED:
        pytest.skip("no Django here")


@pytest.mark.usefixtures("_django")
def test_postgresql_runs_on_the_database_server(db_vm):
    assert db_vm.service("postgresql@17-main").is_running
    assert db_vm.service("postgresql").is_enabled


@pytest.mark.usefixtures("_django")
def test_postgresql_answers_the_app_servers_only(vm, db_vm):
    if db_vm is vm:
        listening = db_vm.check_output("ss -ltnH 'sport = :5432'").splitlines()
        assert listening, "nothing listens on port 5432"
        assert all(re.search(r"(127\.0\.0\.1|\[::1\]):5432", line) for line in listening), listening
        return
    address = bridge_address(db_vm)
    reach = f"python3 -c \"import socket; socket.create_connection(('{address}', 5432), timeout=5).close()\""
    assert vm.run(reach).rc == 0, "the app server cannot reach PostgreSQL"
    assert dropped(address, 5432), "PostgreSQL answers this machine, which is no app server"
    assert "5432" in db_vm.check_output("nft list table inet stacklab")


@pytest.mark.usefixtures("_django")
def test_postgresql_superuser_cannot_log_in_over_the_network(db_vm):
    """postgres has no password, so no password can log it in over TCP; only its own system user over the socket."""
    no_password = "select rolpassword is null from pg_authid where rolname = 'postgres'"
    assert db_vm.check_output(f'runuser -u postgres -- psql -XAtc "{no_password}"') == "t"
    result = db_vm.run("PGPASSWORD=x PGCONNECT_TIMEOUT=5 psql -X -h 127.0.0.1 -U postgres -d postgres -c 'select 1'")
    assert result.rc != 0
    # Refused by PostgreSQL itself, not for want of a server to talk to.
    assert 'password authentication failed for user "postgres"' in result.stderr, result.stderr


# ---------------------------------------------------------------- backups (the backup role, docs/backups.md)

BACKUP_DIR = "/var/backups/stacklab"


@pytest.fixture(params=["app", "db"])
def backup_host(request, vm, db_vm):
    """Each server of the setup (one host plays both parts): site.yml gives every one the backup timer; a single
    stack's playbook (STACKLAB_VM_STACKS) does not."""
    if os.environ.get("STACKLAB_VM_STACKS"):
        pytest.skip("backups come with site.yml (playbooks/backup.yml), not with one stack's playbook")
    if request.param == "db" and db_vm is vm:
        pytest.skip("one host: the app run covers it")
    return vm if request.param == "app" else db_vm


def backup_settings(host) -> dict[str, str]:
    settings = host.file("/etc/stacklab/backup.env")
    assert (settings.user, settings.group, settings.mode) == ("root", "root", 0o600)
    return dict(line.split("=", 1) for line in settings.content_string.splitlines() if "=" in line and line[0] != "#")


def test_backup_settings_name_this_hosts_data(backup_host, vm, db_vm):
    settings = backup_settings(backup_host)
    assert settings["BACKUP_DIR"] == BACKUP_DIR and settings["BACKUP_TARGET"] == "local"
    assert settings["BACKUP_PG"] == ("1" if backup_host is db_vm else "0")
    sqlite = dict(item.split("=", 1) for item in settings["BACKUP_SQLITE"].split(",") if item)
    if backup_host is vm:
        assert sqlite == {app: f"/var/lib/stacklab-{app}/history.sqlite3" for app in ("wsgi", "flask")}
        assert set(settings["BACKUP_UNITS"].split(",")) == {"stacklab-django", "stacklab-wsgi", "stacklab-flask"}
    else:  # the database server alone: no app data, no app units
        assert sqlite == {} and settings["BACKUP_UNITS"] == ""


def test_backup_timer_is_daily_persistent_and_the_service_sandboxed(backup_host):
    timer = backup_host.service("stacklab-backup.timer")
    assert timer.is_enabled and timer.is_running
    props = show(backup_host, "stacklab-backup.timer", "TimersCalendar", "Persistent")
    assert "OnCalendar=*-*-* 03:30:00" in props["TimersCalendar"] and props["Persistent"] == "yes"
    unit = show(backup_host, "stacklab-backup.service", "Type", "ProtectSystem", "ReadWritePaths", "Nice", "UMask")
    assert unit["Type"] == "oneshot" and unit["ProtectSystem"] == "strict" and unit["Nice"] == "10"
    assert BACKUP_DIR in unit["ReadWritePaths"].split() and unit["UMask"] == "0077"


def test_backup_service_has_memory_task_and_file_limits(backup_host):
    ceiling = limits(backup_host, "stacklab-backup")
    assert 64 * 2**20 <= ceiling["MemoryMax"] <= 1024 * 2**20
    assert 8 <= ceiling["TasksMax"] <= 256
    assert 256 <= ceiling["LimitNOFILE"] <= 65536


def test_timer_run_writes_a_private_archive_and_retention_removes_the_oldest(backup_host):
    """The timer's service, started by hand: a new archive (0600, in a 0700 folder, verified by the tool), and
    retention (the newest of each day) removes an older archive of today."""
    day = backup_host.check_output("date -u +%Y%m%d")
    older = f"{BACKUP_DIR}/stacklab-{day}T000000Z.tar"  # a name is all retention reads
    backup_host.check_output(f"install -m 0600 /dev/null {older}")
    before = set(backup_host.check_output(f"ls -1 {BACKUP_DIR}").split())
    started = backup_host.run("systemctl start stacklab-backup.service")  # oneshot: returns when it is done
    assert started.rc == 0, backup_host.run("journalctl -u stacklab-backup -n 30 --no-pager").stdout
    after = set(backup_host.check_output(f"ls -1 {BACKUP_DIR}").split())
    new = sorted(n for n in after - before if n.endswith(".tar"))
    assert len(new) == 1, f"the run made {new}"
    assert not backup_host.file(older).exists, "retention kept an older archive of the same day"
    archive = backup_host.file(f"{BACKUP_DIR}/{new[0]}")
    assert (archive.user, archive.mode) == ("root", 0o600) and backup_host.file(BACKUP_DIR).mode == 0o700
    assert backup_host.run(f"stacklab-backup verify {BACKUP_DIR}/{new[0]}").rc == 0


def test_suite_names_every_stack():
    """The tables above cover the same stacks as the Ansible playbooks."""
    # base, backup, monitoring and tls (the certificate alone) serve every stack; they are not stacks themselves
    every_stacks = {"base", "backup", "monitoring", "tls"}
    playbooks = {p.stem for p in (ROOT / "ansible" / "playbooks").glob("*.yml")} - every_stacks
    assert playbooks == set(STACKS)
