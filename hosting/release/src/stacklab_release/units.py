"""The systemd units that run from `current`: finding them, trying a release as they would run it (`check`,
`migrate`, `manage`), and reloading or restarting those whose app changed (`reload`, `units`)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from stacklab_core import layout

from stacklab_release.site import (
    Failure,
    Site,
    current_release,
    inputs_of,
    is_complete,
    link_target,
    locked,
    log,
    read_release_file,
    release_dir,
    run,
    served_file,
    unprivileged,
)

RELOAD_TIMEOUT = 90  # seconds for gunicorn to replace every worker (its graceful_timeout is 30 s by default)


def have_systemd() -> bool:
    return shutil.which("systemctl") is not None and Path("/run/systemd/system").is_dir()


def unit_properties(unit: str) -> dict[str, list[str]]:
    """`systemctl show` of one unit: property -> values (EnvironmentFiles may repeat)."""
    out = subprocess.run(
        ["systemctl", "show", unit, "-p", "LoadState", "-p", "ExecStart", "-p", "User", "-p", "Group",
         "-p", "EnvironmentFiles", "-p", "Environment", "-p", "WorkingDirectory", "-p", "CanReload",
         "-p", "MainPID", "-p", "ActiveState"],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    props: dict[str, list[str]] = {}
    for line in out.splitlines():
        key, _, value = line.partition("=")
        props.setdefault(key, []).append(value)
    return props


def exec_argv(props: dict[str, list[str]]) -> list[str]:
    """argv of ExecStart from `systemctl show` ("{ path=... ; argv[]=... ; ... }")."""
    match = re.search(r"argv\[\]=(.*?) ;", " ".join(props.get("ExecStart", [])))
    return shlex.split(match.group(1)) if match else []


def release_units(site: Site) -> list[str]:
    """The lab's units whose ExecStart runs from `current` (the ones a switch concerns)."""
    if not have_systemd():
        return []
    out = subprocess.run(
        ["systemctl", "list-units", "--all", "--type=service", "--plain", "--no-legend", f"{site.unit_prefix}*"],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    units = set(line.split()[0] for line in out.splitlines() if line.strip())
    out = subprocess.run(
        ["systemctl", "list-unit-files", "--type=service", "--plain", "--no-legend", f"{site.unit_prefix}*"],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    units |= set(line.split()[0] for line in out.splitlines() if line.strip() and "@" not in line.split()[0])
    return sorted(u for u in units if runs_from(site.current, exec_argv(unit_properties(u))))


def run_as_unit(unit, argv, what, extra_env=None, capture=True) -> str:
    """Run argv as a unit's User= with its environment through systemd-run, so that it sees what the service sees;
    without systemd at all (the unit tests), run it plainly with our own environment."""
    props = unit_properties(unit) if have_systemd() else {}
    user = props.get("User", [""])[0]
    if have_systemd() and os.geteuid() == 0 and not (props.get("LoadState") == ["loaded"] and user):
        raise Failure(f"{what}: {unit} is not installed or has no User=: a release's code never runs as root")
    if props.get("LoadState", ["not-found"])[0] != "loaded":
        return run(argv, what, env={**os.environ, **(extra_env or {})}, capture=capture)
    terminal = "--pty" if not capture and sys.stdin.isatty() else "--pipe"
    cmd = ["systemd-run", "--quiet", "--wait", terminal, "--collect", "--service-type=exec"]
    for line in props.get("EnvironmentFiles", []):
        path = line.split(" (")[0]
        if path:
            cmd.append(f"--property=EnvironmentFile=-{path}")
    for assignment in shlex.split(" ".join(props.get("Environment", []))):
        cmd.append(f"--setenv={assignment}")
    # Its secrets, as its unit loads them (`systemctl show` does not print LoadCredential=): the stacklab_app
    # role's files, one credential each.
    secrets = Path(layout.CREDENTIALS_DIR) / user.removeprefix("stacklab-")
    for path in sorted(secrets.iterdir()) if user.startswith("stacklab-") and secrets.is_dir() else ():
        cmd.append(f"--property=LoadCredential={path.name}:{path}")
    for key, value in (extra_env or {}).items():
        cmd.append(f"--setenv={key}={value}")
    workdir = props.get("WorkingDirectory", [""])[0].lstrip("!-")
    if workdir and Path(workdir).is_dir():
        cmd.append(f"--working-directory={workdir}")
    if user:
        cmd += [f"--uid={user}", f"--gid={props.get('Group', [''])[0] or user}"]
    return run([*cmd, "--", *argv], what, capture=capture)


def unit_app(current: Path, argv: list[str]) -> str:
    """The app whose venv a unit runs (current/venvs/<app>/...), "" when none."""
    for arg in argv:
        match = re.match(re.escape(f"{current}/venvs/") + r"([^/]+)/", arg)
        if match:
            return match.group(1)
    return ""


def runs_from(current: Path, argv: list[str]) -> bool:
    return any(arg.startswith(f"{current}/") for arg in argv)


def in_release(current: Path, argv: list[str], dest: Path) -> list[str]:
    """A unit's argv with every path under `current` moved to the release at dest (to try it before the switch)."""
    current = f"{current}/"
    return [str(dest) + "/" + arg.removeprefix(current) if arg.startswith(current) else arg for arg in argv]


def check(site: Site, name: str) -> None:
    dest = release_dir(site, name)
    if not is_complete(dest):
        raise Failure(f"release {name} is not installed")
    units = release_units(site)
    if not units:
        log("no unit runs from current yet: import check of each app only")
        for venv in sorted((dest / "venvs").iterdir()):
            argv = [str(venv / "bin" / "python"), "-c", f"import stacklab_{venv.name}"]
            run(argv, f"{venv.name}: import", cwd="/", **unprivileged())
        return
    now = current_release(site)
    for unit in units:
        running = exec_argv(unit_properties(unit))
        app = unit_app(site.current, running)
        if (inputs := inputs_of(now, app)) and inputs == inputs_of(dest, app):
            log(f"{unit}: unchanged in release {name} (the same wheels as the running one)")
            continue
        argv = in_release(site.current, running, dest)
        if "gunicorn" in argv:
            probe = [*argv, "--check-config"]  # gunicorn loads the WSGI app and exits 0, or 1 with the traceback
        elif "-m" in argv:
            module = argv[argv.index("-m") + 1]
            probe = [argv[0], "-c", f"import importlib; importlib.import_module({module!r})"]
        else:
            continue
        run_as_unit(unit, probe, f"{unit}: loading release {name}")
        log(f"{unit}: release {name} loads")


def migrate(site: Site, name: str) -> None:
    dest = release_dir(site, name)
    manage = dest / "venvs" / "django" / "bin" / "stacklab-django-manage"
    if not manage.exists():
        log(f"release {name} has no Django app: no migrations")
        return
    now = current_release(site)
    if now != dest and (inputs := inputs_of(now, "django")) and inputs == inputs_of(dest, "django"):
        log(f"migrations: nothing to apply (Django's wheels are those of the running release {now.name})")
        return
    with locked(site):
        argv = [str(manage), "migrate", "--noinput"]
        out = run_as_unit(f"{site.unit_prefix}django", argv, f"django: migrate ({name})")
    log(out.strip() or "migrations: nothing to apply")


def manage(site: Site, args: list[str]) -> None:
    name = link_target(site.current)
    if not name:
        raise Failure("no current release")
    manage_script = site.releases / name / "venvs" / "django" / "bin" / "stacklab-django-manage"
    if not manage_script.exists():
        raise Failure(f"release {name} has no Django app")
    run_as_unit(f"{site.unit_prefix}django", [str(manage_script), *args], "django-admin", capture=False)


def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(stat.parent.name))
    return found


def reload(site: Site) -> None:
    """Reload or restart the units whose app changed since they last started (by `reload`); the others keep
    running, their files being the same (a reused venv) though the release's folder changed."""
    units = release_units(site)
    if not units:
        raise Failure("no unit runs from current: nothing to reload (is the host provisioned?)")
    current = current_release(site)
    served = read_release_file(served_file(site))
    wanted, active = {}, set()
    for unit in units:
        props = unit_properties(unit)
        inputs = inputs_of(current, unit_app(site.current, exec_argv(props)))
        wanted[unit] = hashlib.sha256(inputs.encode()).hexdigest() if inputs else ""
        if props.get("ActiveState") == ["active"]:
            active.add(unit)
    same = [u for u in units if wanted[u] and served.get(u, "").split()[:1] == [wanted[u]] and u in active]
    if same:
        log(f"unchanged, left running: {', '.join(same)}")
    units = [u for u in units if u not in same]
    _reload(units)
    served |= {u: f"{wanted[u]} {current.name}" for u in units if wanted[u]}
    tmp = served_file(site).with_suffix(".tmp")
    tmp.write_text("".join(f"{unit}={digest}\n" for unit, digest in sorted(served.items())))
    os.replace(tmp, served_file(site))


def _reload(units: list[str]) -> None:
    reloadable = [u for u in units if unit_properties(u).get("CanReload") == ["yes"]]
    for unit in reloadable:  # gapless first: the gunicorn master keeps its socket
        props = unit_properties(unit)
        pid = int(props["MainPID"][0])
        if props["ActiveState"] != ["active"] or pid == 0:
            run(["systemctl", "restart", unit], f"{unit}: restart")
            log(f"{unit}: was not running, restarted")
            continue
        old = children(pid)
        run(["systemctl", "reload", unit], f"{unit}: reload")
        deadline = time.monotonic() + RELOAD_TIMEOUT
        while True:
            now = children(pid)
            if now and not now & old:
                break
            if unit_properties(unit)["MainPID"] != [str(pid)]:
                raise Failure(f"{unit}: the master process died during reload (see journalctl -u {unit})")
            if time.monotonic() > deadline:
                raise Failure(f"{unit}: old workers still running {RELOAD_TIMEOUT} s after reload")
            time.sleep(0.1)
        log(f"{unit}: reloaded (workers {sorted(old)} -> {sorted(now)})")
    for unit in units:
        if unit not in reloadable:
            started = time.monotonic()
            run(["systemctl", "restart", unit], f"{unit}: restart")
            log(f"{unit}: restarted in {time.monotonic() - started:.2f} s")


def units(site: Site) -> None:
    for unit in release_units(site):
        props = unit_properties(unit)
        how = "reload" if props.get("CanReload") == ["yes"] else "restart"
        log(f"{unit} {props.get('ActiveState', ['unknown'])[0]} {how}")
