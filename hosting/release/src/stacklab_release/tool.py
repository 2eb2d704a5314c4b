"""stacklab-release: install, switch and prune the lab's releases on a server (Python 3 stdlib only).

Shared by Ansible (installs the first release) and `fab deploy` (ships the later ones); Ansible installs it as
/usr/local/sbin/stacklab-release, a zipapp of this package (stacklab_release.build). Layout (docs/server-layout.md):

    $STACKLAB_ROOT (default /srv/stacklab)
      releases/<name>/   wheelhouse/, venvs/<app>/, inputs/<app>, static/django/, RELEASE (written last: a release
                         without it is incomplete and never listed, activated or served)
      current  -> releases/<name>    the release the units run (switched atomically)
      previous -> releases/<name>    the release `current` pointed at before the last switch

Commands (run as root; exit status 0 on success, 1 on failure with one `stacklab-release: error: ...` line on stderr;
every mutating command holds $STACKLAB_ROOT/.lock):

    install SRC NAME [--apps a,b]  SRC: a wheelhouse directory or a .tar.gz of one, or `-`: that .tar.gz on stdin
                                   (how fab's deploy user hands it over: root then opens no path the user named),
                                   with the wheels at its top or under
                                   wheelhouse/; an optional RELEASE file with KEY=VALUE lines is kept; an optional
                                   SHA256SUMS is verified). Makes releases/NAME with one venv per app (every stack
                                   its RELEASE file's STACKLAB_STACKS names, from the lab's catalog at build time,
                                   whose stacklab_<app> wheel is there; or --apps), installed offline
                                   (pip --no-index, versions from requirements.txt), runs the per-app steps (Django
                                   collectstatic into static/django, with throwaway settings: it needs neither the
                                   secret key nor the database), then writes RELEASE. Does nothing if NAME is
                                   already installed (idempotent). Only what changed is redone: a wheel SHA256SUMS
                                   lists but SRC lacks is taken from the current release (fab uploads only the
                                   wheels the host lacks); an app whose wheels all have the same contents as in the
                                   current release (wheel_identity) gets that release's venv as hard links, and
                                   Django's unchanged static files likewise; inputs/<app> records what each venv
                                   was made from.
    check NAME                     Loads each app of NAME the way its unit would, without touching the running
                                   services: gunicorn units run `gunicorn --check-config` (imports the WSGI app),
                                   other units import their `-m` module; as the unit's User= with its environment.
                                   Units whose app is unchanged from the current release are not checked again.
    migrate NAME                   Django migrations with NAME's code, as the django unit's user and environment;
                                   nothing when Django's wheels are those of the current release.
    activate NAME                  current -> NAME (atomic rename of a new symlink); previous -> the old current.
    rollback                       activate the previous release.
    reload                         gunicorn units (ExecReload, CanReload=yes): `systemctl reload` (HUP), then wait
                                   until every worker is new; other units that run from current: `systemctl restart`
                                   (their socket units keep listening meanwhile). Only units whose app changed since
                                   they last started ($STACKLAB_ROOT/.served) are touched; the others keep running.
    units                          one line per unit that runs from current: unit, state, reload|restart.
    list                           complete releases, oldest first; `*` marks current, `-` previous.
    current | previous             the release name (exit 1 when there is none).
    prune N                        delete all but the N newest releases (current and previous are always kept, and
                                   those a running unit was started from).
    remove NAME                    delete a release that is not current (a rejected one); re-points previous.
    manage ARGS...                 Django's manage.py of the current release, as the django unit's user and
                                   environment (e.g. `manage createsuperuser`, `manage shell -c "..."`).
    version                        the tool's interface version (API): fab deploy requires its own.

The code of a release never runs as root (fab's deploy user may run this tool through sudo, with a release it
uploaded: docs/security.md): pip installs wheels without running them; collectstatic and the import checks run as
`nobody`; check and migrate run as their unit's User=, and refuse to run at all when systemd has no such unit.

A release also carries conf/<app>/gunicorn.conf.py (copied from stacklab_<app>/gunicorn_conf.py when the package has
one): gunicorn units must run `-c /srv/stacklab/current/conf/<app>/gunicorn.conf.py`, never `-c python:MODULE`,
which imports the app's package into the master, so that the workers a HUP forks would keep serving the old code.

Names: <UTC %Y%m%dT%H%M%S>-<git sha7>, e.g. 20250101T120000-1a2b3c4 (letters, digits, `.`, `_`, `-` accepted).
RELEASE holds KEY=VALUE lines (systemd EnvironmentFile syntax): STACKLAB_RELEASE=<name>, STACKLAB_GIT_SHA,
STACKLAB_VERSION, STACKLAB_BUILT, STACKLAB_INSTALLED, plus what the source's RELEASE file carried.

Environment: STACKLAB_ROOT (default /srv/stacklab), STACKLAB_PYTHON (default python3; the interpreter of every
venv), STACKLAB_UNIT_PREFIX (default stacklab-).
"""

from __future__ import annotations

import argparse
import contextlib
import ensurepip
import fcntl
import hashlib
import os
import pwd
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# The interface fab relies on, raised when it changes (2: `install -` from stdin, release code never as root;
# 3: install takes the wheels SHA256SUMS lists but the upload lacks from the current release, and every step
# redoes only what changed); fab deploy refuses a host whose tool differs: Ansible (fab provision) installs the
# tool, fab never does.
API = 3
UNPRIVILEGED = "nobody"  # who runs a release's code when it is not a unit's (collectstatic, import checks)
RELOAD_TIMEOUT = 90  # seconds for gunicorn to replace every worker (its graceful_timeout is 30 s by default)


class Failure(Exception):
    """A clear, expected error: printed as one line, exit status 1."""


@dataclass(frozen=True)
class Site:
    """Where the releases live and which interpreter and units serve them: the server's environment in main(),
    a temporary directory in the unit tests."""

    root: Path = Path("/srv/stacklab")
    python: str = "python3"
    unit_prefix: str = "stacklab-"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Site:
        return cls(
            root=Path(env.get("STACKLAB_ROOT", str(cls.root))),
            python=env.get("STACKLAB_PYTHON", cls.python),
            unit_prefix=env.get("STACKLAB_UNIT_PREFIX", cls.unit_prefix),
        )

    @property
    def releases(self) -> Path:
        return self.root / "releases"

    @property
    def current(self) -> Path:
        return self.root / "current"

    @property
    def previous(self) -> Path:
        return self.root / "previous"


def log(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------- releases and symlinks


def release_dir(site: Site, name: str) -> Path:
    if not NAME_RE.match(name):
        raise Failure(f"bad release name {name!r} (letters, digits, '.', '_', '-')")
    return site.releases / name


def is_complete(path: Path) -> bool:
    return (path / "RELEASE").is_file()


def releases(site: Site) -> list[str]:
    """Complete releases, oldest first (names start with a UTC time stamp)."""
    if not site.releases.is_dir():
        return []
    return sorted(p.name for p in site.releases.iterdir() if p.is_dir() and not p.is_symlink() and is_complete(p))


def link_target(link: Path) -> str | None:
    """The release name a symlink points at, or None when it is missing or dangling."""
    if not link.is_symlink():
        return None
    target = Path(os.readlink(link))
    path = target if target.is_absolute() else link.parent / target
    return path.name if is_complete(path) else None


def current_release(site: Site) -> Path | None:
    """The folder of the release `current` points at, or None when there is none."""
    name = link_target(site.current)
    return site.releases / name if name else None


def switch_link(link: Path, name: str) -> None:
    """Point link at releases/NAME atomically: a new symlink renamed over the old one (rename(2) is atomic)."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(Path("releases") / name)
    os.replace(tmp, link)


def read_release_file(path: Path) -> dict[str, str]:
    values = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() and not key.lstrip().startswith("#"):
                values[key.strip()] = value.strip()
    return values


@contextlib.contextmanager
def locked(site: Site):
    """One mutating command at a time (Ansible and fab may meet on one server)."""
    site.root.mkdir(parents=True, exist_ok=True)
    site.releases.mkdir(exist_ok=True)
    with open(site.root / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log("stacklab-release: waiting for another release command to finish")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


# ---------------------------------------------------------------- install


def unpack(src: Path, dest: Path) -> Path:
    """Copy or extract SRC into dest/wheelhouse; return the directory that holds the wheels."""
    wheelhouse = dest / "wheelhouse"
    if src.is_dir():
        if not any(src.glob("*.whl")):
            raise Failure(f"{src}: no wheels in it")
        shutil.copytree(src, wheelhouse)
    elif src.is_file() and src.name.endswith((".tar.gz", ".tgz", ".tar")):
        staging = dest / ".unpack"
        with tarfile.open(src) as tar:
            tar.extractall(staging, filter="data")  # refuses absolute paths, .. and device files
        inner = staging / "wheelhouse"
        shutil.move(inner if inner.is_dir() else staging, wheelhouse)
        for extra in ("RELEASE", "SHA256SUMS"):
            if (staging / extra).is_file() and not (wheelhouse / extra).exists():
                shutil.move(staging / extra, wheelhouse / extra)
        shutil.rmtree(staging, ignore_errors=True)
    else:
        raise Failure(f"{src}: not a wheelhouse directory or a .tar.gz")
    if not any(wheelhouse.glob("*.whl")) and not (wheelhouse / "SHA256SUMS").is_file():
        raise Failure(f"{src}: no wheels in it")  # with SHA256SUMS, those it lists may all be the current release's
    return wheelhouse


def verify_sums(wheelhouse: Path) -> None:
    sums = wheelhouse / "SHA256SUMS"
    if not sums.is_file():
        return
    for line in sums.read_text().splitlines():
        if not line.strip():
            continue
        digest, _, filename = line.partition("  ")
        path = wheelhouse / filename.strip()
        if path.parent != wheelhouse or not path.is_file():
            raise Failure(f"SHA256SUMS names {filename!r}, which the wheelhouse lacks")
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest.strip():
            raise Failure(f"{filename}: checksum mismatch (corrupt upload?)")


def constraints(wheelhouse: Path) -> Path:
    """requirements.txt without hashes, as a pip constraints file (pip refuses hashes there)."""
    out = wheelhouse / "constraints.txt"
    req = wheelhouse / "requirements.txt"
    lines = []
    if req.is_file():
        for line in req.read_text().replace("\\\n", " ").splitlines():
            spec = line.split(" --hash")[0].strip()
            if spec and not spec.startswith(("#", "-")):
                lines.append(spec)
    out.write_text("\n".join(lines) + "\n")
    return out


def app_wheels(wheelhouse: Path) -> dict[str, Path]:
    found = {}
    for wheel in wheelhouse.glob("stacklab_*.whl"):
        app = wheel.name.split("-")[0].removeprefix("stacklab_")
        found[app] = wheel
    return found


def run(argv: list[str], what: str, env: dict[str, str] | None = None, capture: bool = True, **popen) -> str:
    """Run a command, return its output; on failure raise with the command's own last lines (no traceback).
    With capture=False the command talks to our stdin, stdout and stderr."""
    proc = subprocess.run(argv, capture_output=capture, text=True, env=env, check=False, **popen)
    if proc.returncode != 0:
        tail = "\n".join(((proc.stdout or "") + (proc.stderr or "")).strip().splitlines()[-15:])
        raise Failure(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout


def unprivileged() -> dict:
    """subprocess arguments that drop root to `nobody` (no groups); none when we are not root (the unit tests)."""
    if os.geteuid() != 0:
        return {}
    user = pwd.getpwnam(UNPRIVILEGED)
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def copy_regular_tree(src: Path, dest: Path) -> None:
    """Copy what an unprivileged process wrote into a root-owned tree: directories and regular files only, never
    following a link (a link planted there must not make root copy, say, /etc/shadow into a served directory)."""
    for folder, dirs, files in os.walk(src):
        rel = Path(folder).relative_to(src)
        (dest / rel).mkdir(mode=0o755, exist_ok=True)
        for name in dirs + files:
            path = Path(folder) / name
            if path.is_symlink() or not (path.is_dir() or path.is_file()):
                raise Failure(f"{path.relative_to(src)}: not a regular file or directory")
        for name in files:
            fd = os.open(Path(folder) / name, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as source, open(dest / rel / name, "wb") as out:
                shutil.copyfileobj(source, out)
            os.chmod(dest / rel / name, 0o644)


def find_pip(python: str, tmp: Path) -> list[str]:
    """One pip for every venv (`pip --python VENV`), so that venvs are made without pip: 0.1 s each instead of 4 s.
    The pip wheel that venv's ensurepip bundles runs as it is (`python pip.whl/pip`); else a throwaway venv's."""
    bundled = [
        *Path("/usr/share/python-wheels").glob("pip-*.whl"),
        *Path(ensurepip.__file__).parent.glob("_bundled/pip-*.whl"),
    ]
    for wheel in bundled:
        version = tuple(int(part) for part in re.findall(r"\d+", wheel.name.split("-")[1])[:2])
        if version >= (22, 3):  # `--python` appeared in pip 22.3
            return [python, str(wheel / "pip")]
    run([python, "-m", "venv", str(tmp)], "bootstrap pip venv")
    return [str(tmp / "bin" / "python"), "-m", "pip"]


def make_venv(python: str, app: str, dest: Path, pip: list[str], wheelhouse: Path, constraints_file: Path) -> None:
    venv = dest / "venvs" / app
    run([python, "-m", "venv", "--without-pip", str(venv)], f"{app}: venv")
    run(
        [*pip, "--python", str(venv / "bin" / "python"), "install", "--quiet", "--disable-pip-version-check",
         "--no-index", "--find-links", str(wheelhouse), "--only-binary", ":all:", "-c", str(constraints_file),
         f"stacklab-{app}"],
        f"{app}: pip install (offline, from the wheelhouse)",
    )  # fmt: skip


# ---------------------------------------------------------------- reuse: only what changed is redone


def wheel_identity(wheel: Path) -> str:
    """What a wheel installs, independent of when it was built: the digest of its RECORD (every file's sha256).
    A rebuilt but unchanged package keeps its identity although its zip (file times) differs."""
    with zipfile.ZipFile(wheel) as archive:
        record = next((n for n in archive.namelist() if n.endswith(".dist-info/RECORD")), None)
        data = archive.read(record) if record else wheel.read_bytes()
    lines = sorted(
        line for line in data.decode(errors="replace").splitlines() if not line.split(",")[0].endswith("RECORD")
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def dist_key(name: str, version: str) -> tuple[str, str]:
    """A distribution as both a wheel's file name and an installed .dist-info name spell it (PEP 503/427)."""
    return re.sub(r"[-_.]+", "_", name).lower(), version


def app_inputs(dest: Path, app: str, wheelhouse: Path) -> str:
    """`identity  wheel` lines, sorted, of every wheel installed in the app's venv: the venv is a function of them."""
    by_key = {dist_key(*w.name.split("-")[:2]): w for w in wheelhouse.glob("*.whl")}
    lines = []
    for info in (dest / "venvs" / app / "lib").glob("python3*/site-packages/*.dist-info"):
        wheel = by_key.get(dist_key(*info.name.removesuffix(".dist-info").split("-")[:2]))
        if wheel is None:  # not from this wheelhouse: never reuse such a venv
            return ""
        lines.append(f"{wheel_identity(wheel)}  {wheel.name}")
    return "".join(f"{line}\n" for line in sorted(lines))


def inputs_of(release: Path | None, app: str) -> str:
    """The inputs an app's venv was made from in a release ("" when unknown: an older tool made it, or no app)."""
    path = release / "inputs" / app if release else None
    return path.read_text() if path and path.is_file() else ""


def requirements(wheel: Path) -> list[str]:
    """A wheel's Requires-Dist lines (its METADATA)."""
    with zipfile.ZipFile(wheel) as archive:
        metadata = next((n for n in archive.namelist() if n.endswith(".dist-info/METADATA")), None)
        text = archive.read(metadata).decode(errors="replace") if metadata else ""
    return sorted(line for line in text.splitlines() if line.startswith("Requires-Dist:"))


def changed_wheels(inputs: str, wheelhouse: Path, base: Path) -> list[Path] | None:
    """The wheels of an app's venv whose contents changed while their name, version and requirements did not
    (a code change): patching the base release's venv with them is enough. None when that is not so (a version or a
    dependency changed, or nothing is known of the venv): the venv is made anew."""
    if not inputs:
        return None
    changed = []
    for line in inputs.splitlines():
        identity, _, name = line.partition("  ")
        wheel, before = wheelhouse / name, base / "wheelhouse" / name
        if not wheel.is_file():
            return None
        if wheel_identity(wheel) != identity:
            if not before.is_file() or requirements(before) != requirements(wheel):
                return None
            changed.append(wheel)
    return changed


def patch_venv(pip: list[str], app: str, dest: Path, wheels: list[Path]) -> None:
    """Replace these wheels' files in a venv cloned from the base release (pip replaces files, never edits them)."""
    run(
        [*pip, "--python", str(dest / "venvs" / app / "bin" / "python"), "install", "--quiet",
         "--disable-pip-version-check", "--no-index", "--no-deps", "--force-reinstall", *map(str, wheels)],
        f"{app}: pip install of its changed wheels (offline)",
    )  # fmt: skip


def clone_tree(src: Path, dst: Path) -> None:
    """dst as a copy of src made of hard links (no bytes copied): the releases never modify a file in place
    (pip and Python replace files), so sharing them is safe. Symlinks are copied as links; a venv's files that name
    its own path (bin/: the scripts' #! lines, activate; pyvenv.cfg) are rewritten to name dst, as files of their
    own."""
    old, new = str(src).encode(), str(dst).encode()
    for folder, dirs, files in os.walk(src):
        rel = Path(folder).relative_to(src)
        here = dst / rel
        here.mkdir(mode=0o755, parents=True, exist_ok=True)
        may_name_src = rel.parts[:1] == ("bin",)
        for name in list(dirs) + files:
            path, target = Path(folder) / name, here / name
            if path.is_symlink():
                os.symlink(os.readlink(path), target)
                if name in dirs:
                    dirs.remove(name)
            elif name in files:
                data = path.read_bytes() if may_name_src or (rel == Path(".") and name == "pyvenv.cfg") else b""
                if old in data:
                    target.write_bytes(data.replace(old, new))
                    shutil.copymode(path, target)
                else:
                    os.link(path, target)


def fill_from(base: Path | None, wheelhouse: Path) -> int:
    """Wheels that SHA256SUMS lists but the upload left out (fab sends only what the host lacks): hard links to the
    base release's copies, which verify_sums then checks like the others. Returns how many were taken."""
    sums = wheelhouse / "SHA256SUMS"
    if base is None or not sums.is_file():
        return 0
    taken = 0
    for line in sums.read_text().splitlines():
        _digest, _, name = line.partition("  ")
        name = name.strip()
        if name and "/" not in name and not (wheelhouse / name).exists() and (base / "wheelhouse" / name).is_file():
            os.link(base / "wheelhouse" / name, wheelhouse / name)
            taken += 1
    return taken


@contextlib.contextmanager
def source_path(site: Site, src: str):
    """SRC as a path; `-`: stdin spooled into a file only root can read (root opens no path the caller named)."""
    if src != "-":
        yield Path(src).resolve()
        return
    with tempfile.TemporaryDirectory(prefix=".upload-", dir=site.root) as tmp:
        path = Path(tmp) / "release.tar.gz"
        with open(path, "wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out)
        yield path


def install(site: Site, src: str, name: str, apps: list[str] | None = None) -> None:
    dest = release_dir(site, name)
    with locked(site), source_path(site, src) as source:
        if is_complete(dest):
            log(f"release {name} is already installed")
            return
        if dest.exists():
            log(f"removing the incomplete release {name} left by an interrupted install")
            shutil.rmtree(dest)
        started = time.monotonic()
        dest.mkdir(mode=0o755)
        try:
            base = current_release(site)
            wheelhouse = unpack(source, dest)
            if taken := fill_from(base, wheelhouse):
                log(f"{taken} unchanged wheel(s) taken from release {base.name}")
            verify_sums(wheelhouse)
            if not any(wheelhouse.glob("*.whl")):
                raise Failure(f"{src}: no wheels in it, nor in the current release")
            available = app_wheels(wheelhouse)
            stacks = read_release_file(wheelhouse / "RELEASE").get("STACKLAB_STACKS", "")
            if not apps and not stacks:
                raise Failure(f"{src}: its RELEASE names no STACKLAB_STACKS (build it with stacklab_release.build)")
            wanted = apps or [app for app in stacks.split(",") if app in available]
            missing = [app for app in wanted if app not in available]
            if missing or not wanted:
                raise Failure(f"no stacklab wheel for {', '.join(missing) or 'any app'} in {src}")
            pins = constraints(wheelhouse)
            changes = {app: changed_wheels(inputs_of(base, app), wheelhouse, base) for app in wanted} if base else {}
            reused = [app for app in wanted if changes.get(app) == []]
            patched = {app: wheels for app, wheels in changes.items() if wheels}
            fresh = [app for app in wanted if changes.get(app) is None]
            for app in [*reused, *patched]:  # the base release's venv as hard links
                clone_tree(base / "venvs" / app, dest / "venvs" / app)
            if fresh or patched:
                with tempfile.TemporaryDirectory(prefix="stacklab-pip-") as tmp:
                    pip = find_pip(site.python, Path(tmp))
                    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
                        jobs = [pool.submit(make_venv, site.python, a, dest, pip, wheelhouse, pins) for a in fresh]
                        jobs += [pool.submit(patch_venv, pip, a, dest, w) for a, w in patched.items()]
                        for job in jobs:
                            job.result()
            (dest / "inputs").mkdir(mode=0o755)
            for app in wanted:
                (dest / "inputs" / app).write_text(app_inputs(dest, app, wheelhouse))
                copy_gunicorn_conf(dest, app)
            if "django" in reused and (base / "static" / "django").is_dir():
                clone_tree(base / "static" / "django", dest / "static" / "django")
            elif "django" in wanted:
                collectstatic(dest)
            if reused:
                log(f"reused the venvs of {', '.join(reused)} (no wheel of theirs changed)")
            for app, wheels in patched.items():
                log(f"{app}: the base venv with {', '.join(w.name for w in wheels)} replaced")
            write_release_file(dest, name, wheelhouse, wanted)
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)
            raise
        log(f"installed release {name} ({', '.join(wanted)}) in {time.monotonic() - started:.1f} s")


def copy_gunicorn_conf(dest: Path, app: str) -> None:
    """The app's gunicorn settings as a file at conf/<app>/gunicorn.conf.py, for `gunicorn -c <that path>`.

    A file path, not `-c python:stacklab_<app>.gunicorn_conf`: importing that module imports the app's package
    into the gunicorn master, and the workers a HUP forks would inherit the OLD package instead of importing the
    new release's. A config file is executed on its own (and re-read on HUP)."""
    found = list((dest / "venvs" / app / "lib").glob(f"python3*/site-packages/stacklab_{app}/gunicorn_conf.py"))
    if found:
        (dest / "conf" / app).mkdir(parents=True)
        shutil.copyfile(found[0], dest / "conf" / app / "gunicorn.conf.py")


def collectstatic(dest: Path) -> None:
    """Django's static files into releases/NAME/static/django (nginx serves them from current/static/django)."""
    target = dest / "static" / "django"
    target.mkdir(parents=True)
    manage = str(dest / "venvs" / "django" / "bin" / "stacklab-django-manage")
    # The release's code, so as `nobody` into a directory of its own, copied into the root-owned release after.
    # With throwaway settings rather than the django unit's: the settings module insists on a secret key and a
    # database, but collecting files uses neither (nothing connects to that URL), so the first install needs no
    # /etc/stacklab/django.env and the real secrets never reach this step.
    drop = unprivileged()
    # Under the site root, not $TMPDIR: pam_tmpdir (the hardening role) gives root a /tmp/user/0 nobody cannot enter.
    with tempfile.TemporaryDirectory(prefix=".collectstatic-", dir=dest.parent.parent) as data:
        os.mkdir(f"{data}/static")
        for path in (data, f"{data}/static") if drop else ():
            os.chown(path, drop["user"], drop["group"])
        env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8",
            "HOME": data,
            "DJANGO_DATA_DIR": data,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": "postgres://collectstatic@localhost/unused",
            "DJANGO_STATIC_ROOT": f"{data}/static",
        }
        run([manage, "collectstatic", "--noinput"], "django: collectstatic", env=env, cwd=data, **drop)
        copy_regular_tree(Path(data) / "static", target)


def write_release_file(dest: Path, name: str, wheelhouse: Path, apps: list[str]) -> None:
    values = read_release_file(wheelhouse / "RELEASE")
    sha = name.rsplit("-", 1)[-1] if "-" in name else ""
    values.setdefault("STACKLAB_GIT_SHA", sha)
    values.setdefault("STACKLAB_VERSION", sha or name)
    values["STACKLAB_RELEASE"] = name
    values["STACKLAB_APPS"] = ",".join(apps)
    values["STACKLAB_INSTALLED"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    tmp = dest / ".RELEASE.tmp"
    tmp.write_text("".join(f"{key}={value}\n" for key, value in sorted(values.items())))
    os.chmod(tmp, 0o644)
    os.replace(tmp, dest / "RELEASE")


# ---------------------------------------------------------------- units (systemd)


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


def served_file(site: Site) -> Path:
    """unit -> `DIGEST RELEASE`: the inputs digest of the code it last (re)started with, and the release it started
    from, as `reload` left it. A unit may hold paths inside that release (e.g. a resolved document root): prune
    keeps it while a unit was started from it."""
    return site.root / ".served"


def serving_releases(site: Site) -> set[str]:
    """The releases the running units were started from (see served_file)."""
    return {value.split()[-1] for value in read_release_file(served_file(site)).values() if len(value.split()) == 2}


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


# ---------------------------------------------------------------- switch and housekeeping


def activate(site: Site, name: str) -> None:
    dest = release_dir(site, name)
    with locked(site):
        if not is_complete(dest):
            raise Failure(f"release {name} is not installed (or incomplete)")
        old = link_target(site.current)
        if old == name:
            log(f"release {name} is already current")
            return
        if old:
            switch_link(site.previous, old)
        switch_link(site.current, name)
    log(f"current: {name}" + (f" (previous: {old})" if old else ""))


def rollback(site: Site) -> None:
    previous = link_target(site.previous)
    if not previous:
        raise Failure("no previous release to roll back to")
    activate(site, previous)


def remove(site: Site, name: str) -> None:
    dest = release_dir(site, name)
    with locked(site):
        if link_target(site.current) == name:
            raise Failure(f"release {name} is current: activate another one first")
        if not dest.exists():
            raise Failure(f"no release {name}")
        shutil.rmtree(dest)
        if site.previous.is_symlink() and link_target(site.previous) is None:
            others = [r for r in releases(site) if r != link_target(site.current)]
            if others:
                switch_link(site.previous, others[-1])
            else:
                site.previous.unlink()
    log(f"removed release {name}")


def prune(site: Site, keep: int) -> None:
    if keep < 1:
        raise Failure("prune keeps at least 1 release")
    with locked(site):
        names = releases(site)
        kept = set(names[-keep:]) | {link_target(site.current), link_target(site.previous)} | serving_releases(site)
        for name in names:
            if name not in kept:
                shutil.rmtree(site.releases / name)
                log(f"pruned release {name}")
        for leftover in site.releases.iterdir():  # incomplete installs: no other install runs while we hold the lock
            if leftover.is_dir() and not is_complete(leftover):
                shutil.rmtree(leftover)
                log(f"removed incomplete release {leftover.name}")


def show_list(site: Site) -> None:
    current, previous = link_target(site.current), link_target(site.previous)
    for name in releases(site):
        mark = "*" if name == current else "-" if name == previous else " "
        info = read_release_file(site.releases / name / "RELEASE")
        version, installed = info.get("STACKLAB_VERSION", "?"), info.get("STACKLAB_INSTALLED", "?")
        log(f"{mark} {name}  version={version} installed={installed}")


def show_link(link: Path) -> None:
    name = link_target(link)
    if not name:
        raise Failure(f"no {link.name} release")
    log(name)


COMMANDS = {
    "check": check,
    "migrate": migrate,
    "activate": activate,
    "remove": remove,
    "rollback": rollback,
    "reload": reload,
    "units": units,
    "list": show_list,
}


def main(argv: list[str] | None = None, site: Site | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stacklab-release", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("install")
    p.add_argument("src")
    p.add_argument("name")
    p.add_argument("--apps", type=lambda s: [a for a in s.split(",") if a])
    for command in ("check", "migrate", "activate", "remove"):
        sub.add_parser(command).add_argument("name")
    sub.add_parser("prune").add_argument("keep", type=int)
    sub.add_parser("manage").add_argument("args", nargs=argparse.REMAINDER)
    for command in ("rollback", "reload", "units", "list", "current", "previous", "version"):
        sub.add_parser(command)
    args = parser.parse_args(argv)
    site = site or Site.from_env(os.environ)
    os.umask(0o022)
    try:
        match args.command:
            case "install":
                install(site, args.src, args.name, args.apps)
            case "check" | "migrate" | "activate" | "remove":
                COMMANDS[args.command](site, args.name)
            case "manage":
                manage(site, args.args)
            case "prune":
                prune(site, args.keep)
            case "current" | "previous":
                show_link(getattr(site, args.command))
            case "version":
                log(f"stacklab-release API {API}")
            case _:
                COMMANDS[args.command](site)
    except Failure as exc:
        print(f"stacklab-release: error: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
