"""The release tree of one server (stacklab_core.layout): where releases live, the links that pick one, the lock
of mutating commands, and the helpers every command uses (errors, output, running a command)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from stacklab_core import layout

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
UNPRIVILEGED = "nobody"  # who runs a release's code when it is not a unit's (collectstatic, import checks)


class Failure(Exception):
    """A clear, expected error: printed as one line, exit status 1."""


@dataclass(frozen=True)
class Site:
    """Where the releases live and which interpreter and units serve them: the server's environment in main(),
    a temporary directory in the unit tests."""

    root: Path = Path(layout.ROOT)
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
        return self.root / layout.RELEASES

    @property
    def current(self) -> Path:
        return self.root / layout.CURRENT

    @property
    def previous(self) -> Path:
        return self.root / layout.PREVIOUS


def log(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------- releases and symlinks


def release_dir(site: Site, name: str) -> Path:
    if not NAME_RE.match(name):
        raise Failure(f"bad release name {name!r} (letters, digits, '.', '_', '-')")
    return site.releases / name


def is_complete(path: Path) -> bool:
    return (path / layout.RELEASE_FILE).is_file()


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
    with open(site.root / layout.LOCK, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log("stacklab-release: waiting for another release command to finish")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


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


def inputs_of(release: Path | None, app: str) -> str:
    """The inputs an app's venv was made from in a release ("" when unknown: an older tool made it, or no app)."""
    path = release / layout.INPUTS / app if release else None
    return path.read_text() if path and path.is_file() else ""


def served_file(site: Site) -> Path:
    """unit -> `DIGEST RELEASE`: the inputs digest of the code it last (re)started with, and the release it started
    from, as `reload` left it. A unit may hold paths inside that release (e.g. a resolved document root): prune
    keeps it while a unit was started from it."""
    return site.root / layout.SERVED


def serving_releases(site: Site) -> set[str]:
    """The releases the running units were started from (see served_file)."""
    return {value.split()[-1] for value in read_release_file(served_file(site)).values() if len(value.split()) == 2}
