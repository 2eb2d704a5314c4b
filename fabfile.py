"""Ship releases of the lab to a server that Ansible provisioned (docs/deploy.md). Fabric 3: `fab -H HOST TASK`.

    fab -H deploy@host provision                   run ansible/site.yml against that host (once, or to converge)
    fab -H deploy@host deploy [--keep 5] [--force] build this checkout, install it offline, migrate, switch,
                                                   reload, health-gate; a failed gate switches back and exits 1
    fab -H deploy@host rollback                    back to the previous release, with the same health gate
    fab -H deploy@host releases                    the releases on the host (`*` current, `-` previous)
    fab -H deploy@host status                      every service's health check and unit state, as a table
    fab -H deploy@host backup [--with-secrets]     one backup of the host's data now, downloaded to backups/
    fab -H deploy@host backups                     the host's archives (the timer's, and those taken before deploys)
    fab -H deploy@host restore ARCHIVE             restore a local archive (uploaded) or one of the host's by name

The health gate (stacklab_release.gate) runs the health suite's checks (stacklab_lab.checks) and fetches one real
page of every app, from here against the host's address and the ports of stack.env; --target ADDR (or
STACKLAB_TARGET) names that address when it differs from the SSH one (the local stand-ins publish the lab on
127.0.0.2). SSH settings come from -H/-i or an ssh_config (`fab -S hosting/cache/ssh/config`); host keys are
checked against UserKnownHostsFile (or ~/.ssh/known_hosts). The release is built by stacklab_release.build, as
Ansible's first release is; the server-side steps are stacklab-release, the tool Ansible installed
(hosting/release, docs/server-layout.md). Backups go through stacklab-backup, which Ansible's backup role installed
with its settings (/etc/stacklab/backup.env; docs/backups.md); `fab deploy` takes one before it migrates.
"""

import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import paramiko
from fabric import Connection, task
from invoke.exceptions import Exit, UnexpectedExit
from stacklab_release.build import BuildError, build_release, machine_env
from stacklab_release.gate import describe, service_rows, wait_until_healthy

REPO = Path(__file__).resolve().parent
TOOL = "/usr/local/sbin/stacklab-release"
BACKUP_TOOL = "/usr/local/sbin/stacklab-backup"
BACKUP_DIR = "/var/backups/stacklab"  # the backup role's default (backup_dir): the timer's archives
PRE_DEPLOY_DIR = f"{BACKUP_DIR}/pre-deploy"  # fab deploy's, outside the timer's retention (deploy --keep prunes them)
GATE_SECONDS = 30.0  # how long freshly (re)started services get to pass every check


class DeployError(Exception):
    """An expected failure: fab prints the message (no traceback) and exits 1."""


def say(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------- connection and errors


@contextmanager
def guarded(c) -> Iterator[None]:
    """Turn what can go wrong on the way to a server into one clear line and exit status 1, not a traceback."""
    if not isinstance(c, Connection):
        raise Exit("no host: give one with -H, e.g. `fab -H deploy@vps.example.org deploy`", code=2)
    where = f"{c.user}@{c.host}:{c.port}"
    try:
        _open(c)
        yield
    except (DeployError, BuildError) as exc:
        raise Exit(f"{c.original_host}: {exc}", code=1) from None
    except paramiko.BadHostKeyException:
        raise Exit(
            f"{where}: the host key does not match the known one (a rebuilt server, or someone in between)"
        ) from None
    except paramiko.AuthenticationException:
        raise Exit(f"{where}: login refused (wrong key or user? give the key with -i KEY or in ssh_config)") from None
    except (paramiko.ssh_exception.NoValidConnectionsError, ConnectionError, TimeoutError, socket.gaierror) as exc:
        raise Exit(f"{where}: unreachable ({exc.strerror if isinstance(exc, OSError) else exc})") from None
    except paramiko.SSHException as exc:
        raise Exit(f"{where}: SSH failed: {exc}") from None
    except UnexpectedExit as exc:
        result = exc.result
        tail = (result.stderr or result.stdout).strip().splitlines()[-15:]
        raise Exit(
            f"{c.original_host}: `{result.command}` failed (exit {result.exited}):\n" + "\n".join(tail)
        ) from None


def _open(c: Connection) -> None:
    """Connect with host key checking: Fabric 3 alone accepts any host key (AutoAddPolicy)."""
    if c.is_connected:
        return
    known = c.ssh_config.get("userknownhostsfile", "~/.ssh/known_hosts")
    for path in known.split():
        if os.path.isfile(os.path.expanduser(path)):
            c.client.load_host_keys(os.path.expanduser(path))
    if c.ssh_config.get("stricthostkeychecking", "yes").lower() not in ("no", "off", "accept-new"):
        c.client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        c.open()
    except paramiko.SSHException as exc:
        if "not found in known_hosts" in str(exc):
            raise DeployError(
                f"unknown host key for {c.host}:{c.port}: check it and add it to known_hosts (`ssh` once does)"
            ) from None
        raise


def tool(c: Connection, args: str, warn: bool = False, hide: bool = True):
    """Run stacklab-release on the host as root."""
    return c.sudo(f"{TOOL} {args}", hide=hide, warn=warn, in_stream=False)


def provisioned(c: Connection) -> str:
    """The current release, or a clear error on a host that Ansible never set up."""
    probe = c.run(f"test -x {TOOL} && {TOOL} current", hide=True, warn=True, in_stream=False)
    if probe.failed:
        raise DeployError(
            f"never provisioned (no {TOOL} or no current release): run `fab -H {c.original_host} provision`"
        )
    return probe.stdout.strip()


# ---------------------------------------------------------------- health gate


def target_address(c: Connection, target: str | None) -> str:
    return target or os.environ.get("STACKLAB_TARGET") or c.host


def health(c: Connection, target: str, names=None, timeout: float = 3.0) -> list[tuple[str, bool, str]]:
    """(name, ok, detail) for every check and app page from here, and every release unit's state on the host."""
    from stacklab_lab import ports  # the lab package, in the dev venv

    rows = service_rows(target, ports.load(REPO / "stack.env"), names, timeout)
    units = tool(c, "units", warn=True)
    for line in units.stdout.splitlines():
        unit, state, _how = line.split()
        rows.append((unit, state == "active", state))
    if units.failed:
        rows.append(("stacklab-release units", False, units.stderr.strip()))
    return rows


def gate(c: Connection, target: str, seconds: float = GATE_SECONDS) -> list[tuple[str, bool, str]]:
    """Retry the failing checks until all pass or time runs out; return the failures (empty = healthy)."""
    return wait_until_healthy(lambda names: health(c, target, names), seconds)


# ---------------------------------------------------------------- build


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()


def build(c: Connection, force: bool) -> tuple[str, Path]:
    """The release for the host's Python and architecture (stacklab_release.build, as Ansible's first release)."""
    dirty = git("status", "--porcelain")
    if dirty and not force:
        count = len(dirty.splitlines())
        raise DeployError(f"the work tree has {count} uncommitted change(s): commit them, or deploy with --force")
    probe = "import sys, platform; print(*sys.version_info[:2], platform.machine())"
    major, minor, arch = c.run(f"python3 -c '{probe}'", hide=True, in_stream=False).stdout.split()
    release = build_release(REPO, REPO / "build" / "releases", f"{major}.{minor}", arch)
    return release.name, release.tarball


# ---------------------------------------------------------------- tasks


@task
def deploy(c, keep=5, force=False, target=None, gate_seconds=GATE_SECONDS):
    """Build, upload, install offline, migrate, switch, reload, health-gate (rolls back on failure)."""
    with guarded(c):
        started = time.monotonic()
        old = provisioned(c)
        address = target_address(c, target)
        name, tarball = build(c, force)
        say(f"built {name} ({tarball.stat().st_size / 1e6:.1f} MB) for {c.original_host}; current is {old}")
        upload_dir = c.run("mktemp -d", hide=True, in_stream=False).stdout.strip()  # private to the deploy user
        upload = f"{upload_dir}/{tarball.name}"
        try:
            c.put(str(tarball), remote=upload)
            say(tool(c, f"install {upload} {name}").stdout.strip().splitlines()[-1])
        finally:
            c.run(f"rm -rf {upload_dir}", hide=True, warn=True, in_stream=False)
            tarball.unlink()
        for step, what in (("check", "an app of it cannot start"), ("migrate", "its migrations failed")):
            if step == "migrate":
                say(f"backup before migrating: {pre_deploy_backup(c, name, old, keep)}")
            result = tool(c, f"{step} {name}", warn=True)
            if result.failed:
                tool(c, f"remove {name}", warn=True)
                raise DeployError(
                    f"release {name} rejected before the switch, {what}:\n{result.stderr.strip()}\n"
                    f"nothing was switched: {old} is still serving"
                )
            say(f"{step}: ok")
        tool(c, f"activate {name}")
        say(f"switched current to {name}; reloading")
        reloaded = tool(c, "reload", warn=True)
        failing = gate(c, address, gate_seconds) if reloaded.ok else [("reload", False, reloaded.stderr.strip())]
        if failing:
            say(f"health gate failed: {describe(failing)}; switching back to {old}")
            tool(c, f"activate {old}")
            tool(c, "reload", warn=True)
            after = gate(c, address)
            tool(c, f"remove {name}", warn=True)
            state = "healthy again" if not after else f"STILL UNHEALTHY: {describe(after)}"
            raise DeployError(
                f"release {name} failed its health checks ({describe(failing)}) and was rolled back to {old} ({state})"
            )
        pruned = tool(c, f"prune {keep}").stdout.strip()
        if pruned:
            say(pruned)
        say(f"deployed {name} to {c.original_host} in {time.monotonic() - started:.1f} s; every check passes")


def pre_deploy_backup(c: Connection, name: str, old: str, keep: int) -> str:
    """A backup of the live data before NAME's migrations run, kept on the host with the `keep` newest before it;
    a deploy that cannot take one goes no further."""
    made = backup_tool(c, f"create --dir {PRE_DEPLOY_DIR}", warn=True)
    if made.failed:
        tool(c, f"remove {name}", warn=True)
        raise DeployError(
            f"no backup before the migrations ({BACKUP_TOOL} create):\n{made.stderr.strip()}\n"
            f"nothing was migrated or switched: {old} is still serving"
        )
    path = made.stdout.strip().splitlines()[-1]
    prune = f"ls -1 {PRE_DEPLOY_DIR}/stacklab-*.tar | sort | head -n -{int(keep)} | xargs -r rm -f --"
    c.sudo(f"sh -c {shlex.quote(prune)}", hide=True, in_stream=False)
    return f"{path} (undo the migrations with `fab restore {path.rsplit('/', 1)[-1]}`)"


def backup_tool(c: Connection, args: str, warn: bool = False):
    """Run stacklab-backup on the host as root, or say how to install it."""
    if c.run(f"test -x {BACKUP_TOOL}", hide=True, warn=True, in_stream=False).failed:
        raise DeployError(f"no {BACKUP_TOOL} (the backup role): run `fab -H {c.original_host} provision`")
    return c.sudo(f"{BACKUP_TOOL} {args}", hide=True, warn=warn, in_stream=False)


@contextmanager
def deploy_user_copy(c: Connection, path: str) -> Iterator[str]:
    """A copy of a root-only file on the host that the SSH user may read (to download it), removed afterwards."""
    folder = c.run("mktemp -d", hide=True, in_stream=False).stdout.strip()  # 0700, the SSH user's
    copy = f"{folder}/{path.rsplit('/', 1)[-1]}"
    try:
        c.sudo(f"install -m 0600 -o {shlex.quote(c.user)} {shlex.quote(path)} {shlex.quote(copy)}", hide=True)
        yield copy
    finally:
        c.run(f"rm -rf {folder}", hide=True, warn=True, in_stream=False)


@task
def backup(c, with_secrets=False, dir="backups"):
    """Back up the host's data now and download the archive to --dir (default backups/, mode 0600)."""
    with guarded(c):
        started = time.monotonic()
        made = backup_tool(c, "create --with-secrets" if with_secrets else "create")
        remote = made.stdout.strip().splitlines()[-1]
        local = (REPO / dir if not os.path.isabs(dir) else Path(dir)) / remote.rsplit("/", 1)[-1]
        local.parent.mkdir(parents=True, exist_ok=True)
        with deploy_user_copy(c, remote) as copy:
            c.get(copy, local=str(local))
        local.chmod(0o600)
        size = local.stat().st_size / 1e6
        say(f"backed up {c.original_host} in {time.monotonic() - started:.1f} s: {remote} ({size:.1f} MB)")
        print(local)


@task
def backups(c):
    """The host's archives, newest first: the timer's (and fab backup's), then those taken before deploys."""
    with guarded(c):
        for title, folder in (("backups", BACKUP_DIR), ("before deploys", PRE_DEPLOY_DIR)):
            print(f"{c.original_host} {title} ({folder}):")
            listed = backup_tool(c, f"list --dir {folder}", warn=True)
            print(listed.stdout if listed.ok else "  (none)\n", end="")


@task
def restore(c, archive, target=None):
    """Restore ARCHIVE: a local file (uploaded first) or the name of an archive on the host (`fab backups`);
    the tool verifies it first and changes nothing when it is bad. Then every check must pass."""
    with guarded(c):
        started = time.monotonic()
        local = Path(archive)
        if local.is_file():
            folder = c.run("mktemp -d", hide=True, in_stream=False).stdout.strip()
            remote = f"{folder}/{local.name}"
            try:
                c.put(str(local), remote=remote)
                say(f"uploaded {local} ({local.stat().st_size / 1e6:.1f} MB)")
                result = backup_tool(c, f"restore {shlex.quote(remote)}", warn=True)
            finally:
                c.run(f"rm -rf {folder}", hide=True, warn=True, in_stream=False)
        elif "/" not in archive:
            on_host = [f"{d}/{archive}" for d in (BACKUP_DIR, PRE_DEPLOY_DIR)]
            found = [
                p for p in on_host if c.sudo(f"test -f {shlex.quote(p)}", hide=True, warn=True, in_stream=False).ok
            ]
            if not found:
                raise DeployError(f"{archive}: no such local file, nor an archive on the host (see `fab backups`)")
            result = backup_tool(c, f"restore {shlex.quote(found[0])}", warn=True)
        else:
            raise DeployError(f"{archive}: no such file")
        if result.failed:
            raise DeployError(f"restore refused or failed; the live data is as it was:\n{result.stderr.strip()}")
        for line in result.stdout.strip().splitlines():
            say(line)
        failing = gate(c, target_address(c, target))
        if failing:
            raise DeployError(f"restored, but the lab is unhealthy: {describe(failing)}")
        say(f"restored {archive} on {c.original_host} in {time.monotonic() - started:.1f} s; every check passes")


@task
def rollback(c, target=None):
    """Switch back to the previous release, reload, and health-gate (switches forward again if it fails)."""
    with guarded(c):
        started = time.monotonic()
        now = provisioned(c)
        previous = tool(c, "previous", warn=True)
        if previous.failed:
            raise DeployError("no previous release to roll back to")
        before = previous.stdout.strip()
        tool(c, f"activate {before}")
        say(f"switched current to {before} (was {now}); reloading")
        reloaded = tool(c, "reload", warn=True)
        failing = gate(c, target_address(c, target)) if reloaded.ok else [("reload", False, reloaded.stderr.strip())]
        if failing:
            tool(c, f"activate {now}")
            tool(c, "reload", warn=True)
            raise DeployError(f"release {before} failed its health checks ({describe(failing)}); back on {now}")
        say(f"rolled back {c.original_host} to {before} in {time.monotonic() - started:.1f} s; every check passes")


@task
def releases(c):
    """The releases on the host, oldest first: `*` marks the current one, `-` the previous one."""
    with guarded(c):
        provisioned(c)
        print(c.run(f"{TOOL} list", hide=True, in_stream=False).stdout, end="")


@task
def status(c, target=None):
    """A table of every service on the host with its health; exit 1 when any is unhealthy."""
    with guarded(c):
        current = provisioned(c)
        address = target_address(c, target)
        rows = health(c, address)
        width = max(len(name) for name, _ok, _detail in rows)
        print(f"{c.original_host}: release {current}, checked at {address}")
        for name, ok, detail in rows:
            print(f"{name:<{width}}  {'ok  ' if ok else 'FAIL'}  {detail}")
        bad = [name for name, ok, _detail in rows if not ok]
        if bad:
            raise Exit(f"unhealthy: {', '.join(bad)}", code=1)


@task
def provision(c, inventory=None, extra_vars=None, check=False):
    """Run ansible/site.yml against this host (--inventory PATH, or this host alone in every group).

    With --inventory the play is limited to this host; without, a one-host inventory reaches it with fab's SSH
    settings and its generated secrets live in ~/.config/stacklab/secrets/<host>. --extra-vars "k=v ...";
    --check for a dry run."""
    with guarded(c):
        with tempfile.TemporaryDirectory(prefix="stacklab-provision-") as tmp:
            if inventory:
                argv = ["-i", str(Path(inventory).resolve()), "--limit", c.original_host]
            else:  # its secrets must outlive this run: keep them with the user's other keys, not in a temp dir
                secrets = Path.home() / ".config" / "stacklab" / "secrets" / c.original_host
                secrets.mkdir(mode=0o700, parents=True, exist_ok=True)
                argv = ["-i", one_host_inventory(c, Path(tmp)), "--extra-vars", f"stacklab_secrets_dir={secrets}"]
            argv += ["--extra-vars", extra_vars] if extra_vars else []
            argv += ["--check"] if check else []
            argv = [str(Path(sys.executable).parent / "ansible-playbook"), *argv, str(REPO / "ansible" / "site.yml")]
            say(" ".join(argv))
            env = machine_env() | {"ANSIBLE_CONFIG": str(REPO / "ansible" / "ansible.cfg")}
            if subprocess.run(argv, cwd=REPO / "ansible", env=env, check=False).returncode != 0:
                raise DeployError("the Ansible run failed (its output is above)")
        say(f"provisioned {c.original_host}; current release: {provisioned(c)}")


def one_host_inventory(c: Connection, folder: Path) -> str:
    """An inventory where this one host is every group of site.yml, reached the way fab reaches it (host, port,
    user, key and known_hosts as resolved from -H, -i and ssh_config)."""
    host: dict[str, object] = {"ansible_host": c.host, "ansible_port": c.port, "ansible_user": c.user}
    keys = c.connect_kwargs.get("key_filename") or []
    if keys:
        host["ansible_ssh_private_key_file"] = str(Path(keys[0]).expanduser().resolve())
    options = {k: c.ssh_config[k] for k in ("userknownhostsfile", "stricthostkeychecking", "identitiesonly")
               if k in c.ssh_config}  # fmt: skip
    if options:
        host["ansible_ssh_common_args"] = " ".join(f"-o {k}={shlex.quote(v)}" for k, v in options.items())
    hosts = {c.original_host: host}
    groups = {"stacklab_db": {"hosts": hosts}, "stacklab_apps": {"hosts": hosts}}
    path = folder / "hosts.json"  # JSON is YAML: Ansible's yaml inventory plugin reads it
    path.write_text(json.dumps({"stacklab": {"children": groups}}, indent=2))
    return str(path)


if __name__ == "__main__":
    sys.exit("run the tasks with fab: `fab -H deploy@host deploy` (`fab --list` lists them)")
