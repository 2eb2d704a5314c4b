"""Ship releases of the lab to a server that Ansible provisioned (docs/deploy.md). Fabric 3: `fab -H HOST TASK`.

    fab -H deploy@host provision [--admin A]       run ansible/site.yml against that host (once, or to converge),
                                                   logged in as its admin user (A: ssh_config alias or user@host)
    fab -H deploy@host deploy [--keep 5] [--force] build this checkout, install it offline, migrate, switch,
                                                   reload, health-gate; a failed gate switches back and exits 1
    fab -H deploy@host rollback                    back to the previous release, with the same health gate
    fab -H deploy@host releases                    the releases on the host (`*` current, `-` previous)
    fab -H deploy@host status                      every service's health check and unit state, as a table
    fab -H deploy@host backup [--with-secrets]     one backup of the host's data now, downloaded to backups/
    fab -H deploy@host backups                     the host's archives (the timer's, and those taken before deploys)
    fab -H deploy@host restore ARCHIVE             restore a local archive (uploaded) or one of the host's by name
    fab -H deploy@host logs [--unit U] [-f] [--since W]  the journal of the lab's units (U: flask, chat, nginx...)

The health gate (stacklab_deploy.gate) runs the health suite's checks (stacklab_core.checks) and fetches one real
page of every app, from here against the host's address and the ports of stack.env; --target ADDR (or
STACKLAB_TARGET) names that address when it differs from the SSH one (the local stand-ins publish the lab on
127.0.0.2). SSH settings come from -H/-i or an ssh_config (`fab -S hosting/cache/ssh/config`); host keys are
checked against UserKnownHostsFile (or ~/.ssh/known_hosts). The release is built by stacklab_deploy.build, as
Ansible's first release is; the server-side steps are stacklab-release, the tool Ansible installed
(hosting/release, docs/server-layout.md). Backups go through stacklab-backup, which Ansible's backup role installed
with its settings (/etc/stacklab/backup.env; docs/backups.md); `fab deploy` takes one before it migrates. Where
those tools and their files are on a server: stacklab_core.layout. Fab's helpers that need no connection:
stacklab_deploy (hosting/deploy).

Two identities on a server (docs/security.md, "Least privilege"): every task but provision logs in as `deploy`,
which may run as root only the subcommands of those two tools listed in /etc/sudoers.d/stacklab-deploy (always
`sudo -n`: a missing rule fails at once instead of asking for a password); provision runs Ansible as `admin`.
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
from contextlib import ExitStack, contextmanager
from pathlib import Path

import paramiko
import yaml  # ansible-core's own dependency, in the dev venv
from fabric import Connection, task
from invoke.exceptions import Exit, UnexpectedExit
from stacklab_backup.offsite import is_sealed, opened
from stacklab_backup.targets import BackupError
from stacklab_core import layout, ports
from stacklab_core.logs import journal_units, journalctl
from stacklab_deploy.build import BuildError, build_release, machine_env
from stacklab_deploy.gate import describe, https_rows, service_rows, wait_until_healthy
from stacklab_deploy.helpers import (
    HOST_PROBE,
    DeployError,
    download_private,
    one_host_inventory,
    read_host_probe,
    refuse_uncommitted,
    say,
)
from stacklab_release.tool import API as TOOL_API

REPO = Path(__file__).resolve().parent
TOOL = layout.RELEASE_TOOL
SITE = layout.ROOT  # the tool's STACKLAB_ROOT: releases and what they were made from are world-readable
BACKUP_TOOL = layout.BACKUP_TOOL
BACKUP_DIR = layout.BACKUP_DIR  # the backup role's default (backup_dir): the timer's archives
PRE_DEPLOY_DIR = layout.PRE_DEPLOY_DIR  # fab deploy's, outside the timer's retention (deploy --keep prunes them)
GATE_SECONDS = 30.0  # how long freshly (re)started services get to pass every check


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
    except (DeployError, BuildError, BackupError) as exc:
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


def root(c: Connection, command: str, warn: bool = False, hide: bool = True):
    """Run one command the deploy user's sudoers lists, as root; `sudo -n`: refused at once when it is not listed.
    The command line may redirect stdin or stdout: the deploy user's shell opens those files, never root."""
    return c.run(f"sudo -n {command}", hide=hide, warn=warn, in_stream=False)


def put(c: Connection, local: Path, remote: str) -> None:
    """Upload one file over an SFTP session closed right after: Connection.put keeps its SFTP session open, and the
    servers allow two sessions per connection (sshd MaxSessions 2, the hardening role), one is for the commands."""
    with c.client.open_sftp() as sftp:
        sftp.put(str(local), remote)


def tool(c: Connection, args: str, warn: bool = False, hide: bool = True):
    """Run stacklab-release on the host as root."""
    return root(c, f"{TOOL} {args}", warn=warn, hide=hide)


def provisioned(c: Connection) -> str:
    """The current release, or a clear error on a host that Ansible never set up or whose release tool is not the
    one this checkout speaks to (fab never installs it: the deploy user may not replace a tool it runs as root)."""
    probe = c.run(f"test -x {TOOL} && {TOOL} current && {TOOL} version", hide=True, warn=True, in_stream=False)
    current, _, version_line = probe.stdout.strip().partition("\n")
    if not current.strip():
        raise DeployError(
            f"never provisioned (no {TOOL} or no current release): run `fab -H {c.original_host} provision`"
        )
    version = version_line.split()  # empty from a tool older than `version`: API 1
    if version[-1:] != [str(TOOL_API)]:
        raise DeployError(
            f"{TOOL} on the host speaks API {version[-1] if version else '1'}, this checkout needs API {TOOL_API}:"
            f" run `fab -H {c.original_host} provision` to install this checkout's"
        )
    return current.strip()


# ---------------------------------------------------------------- health gate


def target_address(c: Connection, target: str | None) -> str:
    return target or os.environ.get("STACKLAB_TARGET") or c.host


def health(c: Connection, target: str, names=None, timeout: float = 3.0) -> list[tuple[str, bool, str]]:
    """(name, ok, detail) for every check and app page from here, and every release unit's state on the host."""
    plan = ports.load(REPO / "stack.env")
    rows = service_rows(target, plan, names, timeout)
    rows += [row for row in https_rows(target, plan["LAB_PORT"], timeout) if names is None or row[0] in names]
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


def build(c: Connection, force: bool) -> tuple[str, Path, int]:
    """The release for the host's Python and architecture (stacklab_deploy.build, as Ansible's first release)."""
    refuse_uncommitted(REPO, force)
    python, arch, host_has = read_host_probe(c.run(HOST_PROBE, hide=True, in_stream=False).stdout)
    release = build_release(REPO, REPO / "build" / "releases", python, arch, host_has=host_has)
    return release.name, release.tarball, release.left_out


# ---------------------------------------------------------------- tasks


@task
def deploy(c, keep=5, force=False, target=None, gate_seconds=GATE_SECONDS):
    """Build, upload, install offline, migrate, switch, reload, health-gate (rolls back on failure)."""
    with guarded(c):
        started = time.monotonic()
        old = provisioned(c)
        address = target_address(c, target)
        name, tarball, left_out = build(c, force)
        size = tarball.stat().st_size / 1e6
        say(f"built {name} ({size:.1f} MB, without the {left_out} wheels the host has); current is {old}")
        upload_dir = c.run("mktemp -d", hide=True, in_stream=False).stdout.strip()  # private to the deploy user
        upload = f"{upload_dir}/{tarball.name}"
        try:
            put(c, tarball, upload)
            say(tool(c, f"install - {name} < {shlex.quote(upload)}").stdout.strip().splitlines()[-1])
        finally:
            c.run(f"rm -rf {upload_dir}", hide=True, warn=True, in_stream=False)
            tarball.unlink()
        inputs = [f"{SITE}/{layout.RELEASES}/{release}/{layout.INPUTS}/django" for release in (old, name)]
        django_same = c.run(f"cmp -s {inputs[0]} {inputs[1]}", hide=True, warn=True, in_stream=False).ok
        for step, what in (("check", "an app of it cannot start"), ("migrate", "its migrations failed")):
            if step == "migrate" and django_same:  # the same Django wheels: no migration to run or to undo
                say("migrate: Django unchanged, no backup and no migrations needed")
                continue
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
    backup_tool(c, f"prune --dir {PRE_DEPLOY_DIR} --keep-last {int(keep)}")
    return f"{path} (undo the migrations with `fab restore {path.rsplit('/', 1)[-1]}`)"


def backup_tool(c: Connection, args: str, warn: bool = False):
    """Run stacklab-backup on the host as root, or say how to install it."""
    if c.run(f"test -x {BACKUP_TOOL}", hide=True, warn=True, in_stream=False).failed:
        raise DeployError(f"no {BACKUP_TOOL} (the backup role): run `fab -H {c.original_host} provision`")
    return root(c, f"{BACKUP_TOOL} {args}", warn=warn)


@contextmanager
def deploy_user_copy(c: Connection, path: str) -> Iterator[str]:
    """A copy of a root-only archive on the host that the SSH user may read (to download it), removed afterwards:
    `stacklab-backup cat` writes it to the deploy user's own file."""
    folder = c.run("mktemp -d", hide=True, in_stream=False).stdout.strip()  # 0700, the SSH user's
    copy = f"{folder}/{path.rsplit('/', 1)[-1]}"
    try:
        backup_tool(c, f"cat {shlex.quote(path)} > {shlex.quote(copy)}")
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
        with deploy_user_copy(c, remote) as copy:
            download_private(c, copy, local)
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


def listed_archives(c: Connection, folder: str) -> list[str]:
    """The names of the archives in one of the host's backup directories (none when it does not exist)."""
    listed = backup_tool(c, f"list --dir {folder}", warn=True)
    return [line.split()[0] for line in listed.stdout.splitlines() if line.strip()] if listed.ok else []


@task
def restore(c, archive, target=None, identity=None, signer=None):
    """Restore ARCHIVE: a local file (uploaded first) or the name of an archive on the host (`fab backups`);
    the tool verifies it first and changes nothing when it is bad. Then every check must pass. An off-site copy
    (NAME.tar.age, its .sig beside it) is opened here with --identity (your age key, which never leaves this
    machine) and --signer (the server's signing public key as you recorded it), then uploaded plain."""
    with guarded(c), ExitStack() as stack:
        started = time.monotonic()
        local = Path(archive)
        if local.is_file() and is_sealed(local):
            local = stack.enter_context(opened(local, identity and Path(identity), signer and Path(signer)))
            say(f"{archive}: signature checked, decrypted")
        if local.is_file():
            folder = c.run("mktemp -d", hide=True, in_stream=False).stdout.strip()
            remote = f"{folder}/{local.name}"
            try:
                put(c, local, remote)
                say(f"uploaded {local.name} ({local.stat().st_size / 1e6:.1f} MB)")
                result = backup_tool(c, f"restore - < {shlex.quote(remote)}", warn=True)
            finally:
                c.run(f"rm -rf {folder}", hide=True, warn=True, in_stream=False)
        elif "/" not in archive:
            found = [f"{d}/{archive}" for d in (BACKUP_DIR, PRE_DEPLOY_DIR) if archive in listed_archives(c, d)]
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
        previous = c.run(f"{TOOL} previous", hide=True, warn=True, in_stream=False)  # reading needs no root
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
def logs(c, unit="", follow=False, since="", lines=""):
    """The journal of the lab's units, read as deploy without sudo (its group systemd-journal).

    --unit: a catalog name (flask: its app and nginx) or a unit, comma-separated, default all; --since as journalctl
    takes it (-10min, today); --lines N (default 100 without --since); -f follows (stacklab_core.logs)."""
    with guarded(c):
        try:
            units = journal_units([name for name in unit.split(",") if name])
        except ValueError as exc:
            raise Exit(f"logs: {exc}", code=2) from None
        count = int(lines) if lines else (None if since else 100)
        command = shlex.join(journalctl(units, follow=follow, since=since, lines=count))
        c.run(command, pty=follow, in_stream=False)  # a terminal: Ctrl-C here ends journalctl there too


@task
def provision(c, inventory=None, extra_vars=None, check=False, admin=None):
    """Run ansible/site.yml against this host, logged in as its admin user (full sudo, which provisioning needs;
    the deploy user that fab logs in as for everything else may not).

    --inventory PATH: that inventory (it names the admin identity), limited to this host. Without: a one-host
    inventory that reaches --admin (an ssh_config alias or user@host[:port]; default the ssh_config alias
    HOST-admin when there is one, else admin@ this host with fab's key), this host alone in every group, its
    generated secrets in ~/.config/stacklab/secrets/<host>. --extra-vars "k=v ..." (or JSON/YAML, or @FILE):
    handed to Ansible in a private file, never on its command line nor in what fab prints. --check: a dry run."""
    with guarded(c):
        with tempfile.TemporaryDirectory(prefix="stacklab-provision-") as tmp:
            variables: dict[str, object] = {}
            if inventory:
                argv = ["-i", str(Path(inventory).resolve()), "--limit", c.original_host]
            else:  # its secrets must outlive this run: keep them with the user's other keys, not in a temp dir
                secrets = Path.home() / ".config" / "stacklab" / "secrets" / c.original_host
                secrets.mkdir(mode=0o700, parents=True, exist_ok=True)
                argv = ["-i", one_host_inventory(admin_connection(c, admin), Path(tmp), c.original_host)]
                variables["stacklab_secrets_dir"] = str(secrets)
            if extra_vars and extra_vars.startswith("@"):
                argv += ["--extra-vars", extra_vars]  # a file of the user's: its name is no secret
            elif extra_vars:
                variables |= parse_extra_vars(extra_vars)
            if variables:
                file = Path(tmp) / "extra-vars.json"  # the temporary directory is the user's alone (0700)
                file.write_text(json.dumps(variables))
                argv += ["--extra-vars", f"@{file}"]
            argv += ["--check"] if check else []
            argv = [str(Path(sys.executable).parent / "ansible-playbook"), *argv, str(REPO / "ansible" / "site.yml")]
            say(" ".join(argv) + (f"  (extra vars: {', '.join(sorted(variables))})" if variables else ""))
            env = machine_env() | {"ANSIBLE_CONFIG": str(REPO / "ansible" / "ansible.cfg")}
            if subprocess.run(argv, cwd=REPO / "ansible", env=env, check=False).returncode != 0:
                raise DeployError("the Ansible run failed (its output is above)")
        say(f"provisioned {c.original_host}; current release: {provisioned(c)}")


def parse_extra_vars(text: str) -> dict[str, object]:
    """--extra-vars as Ansible reads it: a YAML/JSON mapping, or key=value words (values stay strings)."""
    if text.lstrip().startswith(("{", "---")):
        loaded = yaml.safe_load(text)
        if not isinstance(loaded, dict):
            raise DeployError("--extra-vars: a YAML or JSON mapping, or key=value words")
        return loaded
    pairs = [word.partition("=") for word in shlex.split(text)]
    if not all(key and sep for key, sep, _value in pairs):
        raise DeployError("--extra-vars: a YAML or JSON mapping, or key=value words")
    return {key: value for key, _sep, value in pairs}


def admin_connection(c: Connection, admin: str | None) -> Connection:
    """How Ansible reaches the host as its admin user: --admin, else the ssh_config alias HOST-admin (the local
    stand-ins write one), else the user `admin` at fab's host, port and key."""
    if admin:
        return Connection(admin, config=c.config)
    alias = f"{c.original_host}-admin"
    if alias in c.config.base_ssh_config.get_hostnames():
        return Connection(alias, config=c.config)
    return Connection(c.host, user="admin", port=c.port, config=c.config, connect_kwargs=c.connect_kwargs)


if __name__ == "__main__":
    sys.exit("run the tasks with fab: `fab -H deploy@host deploy` (`fab --list` lists them)")
