"""Where the data lives and how to reach it: a server's own services (local) or the compose lab (compose).

Both give the same few operations, each one command with the data on stdin or stdout, so the archive code is the
same for both: PostgreSQL's client tools (run where the server is, so client and server versions match), the
SQLite copies (sqlitecopy.py, run as the database file's owner), the code's migrations, the secrets, and stopping
and starting the apps around a database switch.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shlex
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, ClassVar

from stacklab_core import layout

from stacklab_backup.codeschema import migrations

DEFAULT_CONFIG = Path(layout.BACKUP_CONFIG)


class BackupError(Exception):
    """What went wrong, as one line for the user; nothing was changed unless the message says so."""


def source(module: str) -> str:
    """A helper script's source (python3 -c runs it where the data is); read through importlib, so from a zipapp too."""
    return resources.files("stacklab_backup").joinpath(f"{module}.py").read_text()


def run(
    argv: list[str],
    what: str,
    stdin: IO[bytes] | bytes | None = None,
    stdout: IO[bytes] | None = None,
    env: dict[str, str] | None = None,
) -> bytes:
    """Run argv; its stdout (unless sent to a file); BackupError naming `what` and stderr's last line on failure."""
    data = stdin if isinstance(stdin, bytes) else None
    proc = subprocess.run(
        argv,
        input=data,
        stdin=None if data is not None or stdin is None else stdin,
        stdout=stdout or subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        raise BackupError(f"{what} failed (exit {proc.returncode}): {lines[-1] if lines else 'no message'}")
    return proc.stdout or b""


def read_config(path: Path | None) -> dict[str, str]:
    """KEY=VALUE lines (# comments, optional quotes), then BACKUP_* from the environment on top."""
    values: dict[str, str] = {}
    file = path or DEFAULT_CONFIG
    if file.is_file():
        for number, line in enumerate(file.read_text().splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not sep:
                raise BackupError(f"{file}:{number}: not KEY=VALUE: {line!r}")
            values[key.strip()] = value.strip().strip("'\"")
    elif path:
        raise BackupError(f"{path}: no such config file")
    values.update({k: v for k, v in os.environ.items() if k.startswith("BACKUP_")})
    return values


def load(config_path: Path | None) -> Target:
    config = read_config(config_path)
    kind = config.get("BACKUP_TARGET", "local")
    if kind == "compose":
        return ComposeTarget(config)
    if kind == "local":
        return LocalTarget(config)
    raise BackupError(f"BACKUP_TARGET={kind}: not local or compose")


@dataclass
class Target:
    config: dict[str, str]
    kind: str = ""
    database: str = "stacklab"
    pg: bool = True
    sqlite: dict[str, str] = field(default_factory=dict)  # name -> path where it lives
    owner_restores: bool = True  # a restore runs as the database's owner, which may not be privileged (restore.py)

    @property
    def backup_dir(self) -> Path:
        return Path(self.config.get("BACKUP_DIR", layout.BACKUP_DIR))

    def host(self) -> str:
        return socket.gethostname()

    def pg_tool(self, tool: str, *args: str, db: str = "", stdin=None, stdout=None, login=None) -> bytes:
        """Run a PostgreSQL client tool as the target's admin, or with login=(role, password) as that role."""
        raise NotImplementedError

    def sql(self, query: str, db: str = "postgres") -> list[list[str]]:
        """Rows of a query (psql, unaligned, stops at the first error)."""
        out = self.pg_tool("psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-F", "\t", "-c", query, db=db)
        return [line.split("\t") for line in out.decode().splitlines()]

    def sqlite_present(self, name: str) -> bool:
        """Whether the app has made its database yet (compose: its volume always has one)."""
        return True

    def sqlite_dump(self, name: str) -> bytes:
        raise NotImplementedError

    def sqlite_load(self, name: str, data: bytes) -> None:
        raise NotImplementedError

    def code_migrations(self) -> dict[str, list[str]] | None:
        """The migrations the installed Django code has, or None where it is not on this host."""
        raise NotImplementedError

    def release(self) -> str:
        raise NotImplementedError

    def secrets_dir(self) -> Path:
        raise NotImplementedError

    def stop_apps(self) -> list[str]:
        raise NotImplementedError

    def start_apps(self, stopped: list[str]) -> None:
        raise NotImplementedError


class LocalTarget(Target):
    """This host's services: pg tools as BACKUP_PG_RUN_AS (peer auth; empty: as we are, libpq's PG* variables
    apply), the SQLite files as their owners, systemd units around a database switch."""

    def __init__(self, config: dict[str, str]):
        sqlite = {}
        for item in filter(None, config.get("BACKUP_SQLITE", "").split(",")):
            name, sep, path = item.partition("=")
            if not sep or not name.isidentifier():
                raise BackupError(f"BACKUP_SQLITE: {item!r} is not name=/path/to/file.sqlite3")
            sqlite[name.strip()] = path.strip()
        database = config.get("BACKUP_PG_DATABASE", "stacklab")
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", database):  # it goes into SQL as an identifier
            raise BackupError(f"BACKUP_PG_DATABASE={database!r}: not a plain lowercase name")
        super().__init__(
            config,
            kind="local",
            database=database,
            pg=config.get("BACKUP_PG", "1") == "1",
            sqlite=sqlite,
        )

    def _as(self, user: str) -> list[str]:
        if not user or os.geteuid() != 0 or user == "root":
            return []
        return ["runuser", "-u", user, "--"]

    def pg_tool(self, tool, *args, db="", stdin=None, stdout=None, login=None):
        argv = [*self._as(self.config.get("BACKUP_PG_RUN_AS", "postgres")), tool, *args]
        if db:
            argv.append(f"--dbname={db}")
        if login:  # the password through the environment, which ps does not show (runuser keeps it)
            argv.append(f"--username={login[0]}")
            return run(argv, tool, stdin, stdout, env={**os.environ, "PGPASSWORD": login[1]})
        return run(argv, tool, stdin, stdout)

    def _owner(self, path: str) -> str:
        probe = Path(path) if Path(path).exists() else Path(path).parent
        try:
            return pwd.getpwuid(probe.stat().st_uid).pw_name
        except (OSError, KeyError) as exc:
            raise BackupError(f"{path}: {exc}") from exc

    def sqlite_present(self, name):
        return Path(self.sqlite[name]).is_file()

    def sqlite_dump(self, name):
        path = self.sqlite[name]
        return run([*self._as(self._owner(path)), sys.executable, "-c", source("sqlitecopy"), "dump", path], name)

    def sqlite_load(self, name, data):
        path = self.sqlite[name]
        run([*self._as(self._owner(path)), sys.executable, "-c", source("sqlitecopy"), "load", path], name, data)

    def _release_link(self) -> Path:
        return Path(self.config.get("BACKUP_RELEASE_LINK", layout.CURRENT_LINK))

    def code_migrations(self):
        # Read from the release's files, never by running its interpreter: restore runs as root, and a .pth file
        # in the venv would run with it.
        if self.config.get("BACKUP_DJANGO_PATH"):  # another environment than a release's (tests: this one's path)
            return migrations(self.config["BACKUP_DJANGO_PATH"].split(os.pathsep))
        venv = self._release_link() / "venvs" / "django"
        if not venv.is_dir():
            return None
        return migrations([str(path) for path in sorted(venv.glob("lib/python3*/site-packages"))])

    def release(self):
        link = self._release_link()
        return link.resolve().name if link.is_symlink() else ""

    def secrets_dir(self):
        return Path(self.config.get("BACKUP_SECRETS_DIR", layout.CONFIG_DIR))

    def _units(self) -> list[str]:
        return [u for u in self.config.get("BACKUP_UNITS", "").split(",") if u]

    def stop_apps(self):
        units = self._units()
        if units:
            run(["systemctl", "stop", *units], "stopping " + " ".join(units))
        return units

    def start_apps(self, stopped):
        if stopped:
            run(["systemctl", "start", *stopped], "starting " + " ".join(stopped))


class ComposeTarget(Target):
    """The compose lab of the repository in the working directory (or BACKUP_COMPOSE_DIR), driven with
    `docker compose exec -T`: pg tools inside the postgres container as its superuser (peer auth on its socket),
    SQLite through python3 in the wsgi and flask containers as their users."""

    SERVICES: ClassVar[dict[str, str]] = {
        "wsgi": "/var/lib/stacklab-wsgi/history.sqlite3",
        "flask": "/var/lib/stacklab-flask/history.sqlite3",
    }

    def __init__(self, config: dict[str, str]):
        # The image makes the database's owner its superuser: the lab restores as it (whoever runs compose is
        # root-equivalent on this machine already).
        super().__init__(
            config, kind="compose", database="stacklab", pg=True, sqlite=dict(self.SERVICES), owner_restores=False
        )
        self.root = Path(config.get("BACKUP_COMPOSE_DIR") or os.getcwd()).resolve()
        if not (self.root / "docker-compose.yml").is_file():
            raise BackupError(f"{self.root}: no docker-compose.yml (run from the repository, or ./run backup)")

    @property
    def backup_dir(self):
        return Path(self.config.get("BACKUP_DIR", self.root / "backups"))

    def compose(self, *args: str) -> list[str]:
        # --file too: with a project name alone compose 2.26 cannot stop scale-0 services (docker/compose#11686)
        return ["docker", "compose", "--project-directory", str(self.root), "--file", "docker-compose.yml", *args]

    def host(self):
        return f"compose:{socket.gethostname()}"

    def pg_tool(self, tool, *args, db="", stdin=None, stdout=None, login=None):
        argv = self.compose("exec", "-T", "postgres", tool, "--host=/tmp", "--username=postgres", *args)
        if db:
            argv.append(f"--dbname={db}")
        return run(argv, f"{tool} in the postgres container", stdin, stdout)

    def sqlite_dump(self, name):
        argv = self.compose("exec", "-T", name, "python3", "-c", source("sqlitecopy"), "dump", self.sqlite[name])
        return run(argv, f"the {name} history")

    def sqlite_load(self, name, data):
        argv = self.compose("exec", "-T", name, "python3", "-c", source("sqlitecopy"), "load", self.sqlite[name])
        run(argv, f"the {name} history", data)

    def code_migrations(self):
        argv = self.compose("exec", "-T", "django", "python3", "-c", source("codeschema"))
        return json.loads(run(argv, "reading the django container's migrations"))

    def release(self):
        proc = subprocess.run(
            ["git", "-C", str(self.root), "describe", "--always", "--dirty", "--tags"],
            capture_output=True,
            text=True,
            check=False,
        )
        return proc.stdout.strip() if proc.returncode == 0 else ""

    def secrets_dir(self):
        for line in (self.root / ".env").read_text().splitlines() if (self.root / ".env").is_file() else []:
            key, _, value = line.partition("=")
            if key.strip() == "STACKLAB_SECRETS" and value.strip():
                return self.root / shlex.split(value)[0]
        return self.root / "secrets"

    def stop_apps(self):
        # Only Django holds connections to the database being switched; the SQLite loads need no stop. Its nginx
        # goes with it: nginx resolves django's address when it starts, and a started container may get another.
        run(self.compose("stop", "django-nginx", "django"), "stopping django")
        return ["django", "django-nginx"]

    def start_apps(self, stopped):
        if stopped:
            run(self.compose("up", "--detach", "--no-deps", "--no-build", "--wait", *stopped), "starting django")
