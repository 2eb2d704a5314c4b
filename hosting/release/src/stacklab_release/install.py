"""`install`: a release's wheelhouse unpacked and verified, one venv per app (made offline, or reused from the
current release: reuse.py), its per-app steps (gunicorn settings, Django's static files), then RELEASE."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from stacklab_core import layout

from stacklab_release.reuse import app_inputs, changed_wheels, clone_tree, fill_from
from stacklab_release.site import (
    Failure,
    Site,
    current_release,
    inputs_of,
    is_complete,
    locked,
    log,
    read_release_file,
    release_dir,
    run,
    unprivileged,
)
from stacklab_release.stage import build_venvs


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
    # nobody builds the venvs from it (stage.py), whatever the uploader's umask was; wheels hold no secret
    os.chmod(wheelhouse, 0o755)  # noqa: S103
    for path in wheelhouse.iterdir():
        if path.is_file() and not path.is_symlink():
            os.chmod(path, 0o644)
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
                raise Failure(f"{src}: its RELEASE names no STACKLAB_STACKS (build it with stacklab_deploy.build)")
            wanted = apps or [app for app in stacks.split(",") if app in available]
            missing = [app for app in wanted if app not in available]
            if missing or not wanted:
                raise Failure(f"no stacklab wheel for {', '.join(missing) or 'any app'} in {src}")
            pins = constraints(wheelhouse)
            changes = {app: changed_wheels(inputs_of(base, app), wheelhouse, base) for app in wanted} if base else {}
            reused = [app for app in wanted if changes.get(app) == []]
            patched = {app: wheels for app, wheels in changes.items() if wheels}
            fresh = [app for app in wanted if changes.get(app) is None]
            for app in reused:  # the base release's venv as hard links
                clone_tree(base / "venvs" / app, dest / "venvs" / app)
            if fresh or patched:
                build_venvs(site, dest, base, fresh, patched, wheelhouse, pins)
            (dest / layout.INPUTS).mkdir(mode=0o755)
            for app in wanted:
                (dest / layout.INPUTS / app).write_text(app_inputs(dest, app, wheelhouse))
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
    tmp = dest / f".{layout.RELEASE_FILE}.tmp"
    tmp.write_text("".join(f"{key}={value}\n" for key, value in sorted(values.items())))
    os.chmod(tmp, 0o644)
    os.replace(tmp, dest / layout.RELEASE_FILE)
