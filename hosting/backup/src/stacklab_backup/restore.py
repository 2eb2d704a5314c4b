"""`restore`: verify the whole archive, refuse a schema newer than the installed code and a dump from a newer
PostgreSQL, restore the dump into a new database, and only then stop the apps, switch the databases, load the
SQLite copies (and the secrets) and start the apps again. Bad input changes nothing."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from stacklab_backup.archive import DUMP, check_contents, unpack
from stacklab_backup.targets import BackupError, Target


def pg_major(version_num: str) -> int:
    return int(version_num) // 10000


def check_schema(target: Target, archive_schema: dict[str, str]) -> None:
    """Refuse an archive whose Django schema the installed code does not know (made by newer code)."""
    code = target.code_migrations()
    if code is None:  # the code is on another host: the live database says what it has applied
        rows = target.sql("SELECT app, name FROM django_migrations", db=target.database)
        code = {}
        for app, name in rows:
            code.setdefault(app, []).append(name)
    unknown = [f"{app}.{name}" for app, name in sorted(archive_schema.items()) if name not in code.get(app, [])]
    if unknown:
        raise BackupError(
            f"the archive's schema is newer than the installed code ({', '.join(unknown)} unknown here): "
            "restore it with the release that made it"
        )


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def restore_postgres(target: Target, manifest: dict, dump: Path) -> str:
    """The dump restored into a new database, in one transaction; its name (nothing live touched yet)."""
    (version,) = target.sql("SHOW server_version_num")[0]
    theirs = manifest.get("postgres", {}).get("server_version_num", "0")
    if pg_major(theirs) > pg_major(version):
        raise BackupError(f"the dump is from PostgreSQL {pg_major(theirs)}, this server is {pg_major(version)}")
    check_schema(target, manifest["schema"].get("django", {}))
    db = target.database
    owner = target.sql(f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{db}'")  # noqa: S608 (a checked plain name)
    new = f"{db}_restore_{os.getpid()}"
    owner_clause = f" OWNER {quoted(owner[0][0])}" if owner else ""
    target.sql(f'CREATE DATABASE "{new}"{owner_clause} TEMPLATE template0')
    try:
        with open(dump, "rb") as data:
            target.pg_tool("pg_restore", "--exit-on-error", "--single-transaction", "--no-password", db=new, stdin=data)
    except BackupError:
        target.sql(f'DROP DATABASE IF EXISTS "{new}"')
        raise
    return new


def switch_database(target: Target, new: str) -> None:
    """The restored database takes the live one's name in one transaction; the old one is dropped after.
    The live one first refuses new connections (a health check's psql would block the rename), then its
    sessions are ended and gone: pg_terminate_backend only signals, so wait until none is left."""
    db, old = target.database, f"{target.database}_replaced_{os.getpid()}"
    if not target.sql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'"):  # noqa: S608 (a checked plain name)
        target.sql(f'ALTER DATABASE "{new}" RENAME TO "{db}"')
        return
    target.sql(f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS false')
    try:
        deadline = time.monotonic() + 30
        while target.sql(
            f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{db}'"  # noqa: S608
        ) != [["0"]]:
            if time.monotonic() > deadline:
                raise BackupError(f"sessions on {db} did not end within 30 s")
            time.sleep(0.1)
        target.sql(f'BEGIN; ALTER DATABASE "{db}" RENAME TO "{old}"; ALTER DATABASE "{new}" RENAME TO "{db}"; COMMIT;')
    except BackupError:
        target.sql(f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS true')
        raise
    target.sql(f'DROP DATABASE "{old}" WITH (FORCE)')


def restore_secrets(target: Target, files: Path) -> list[str]:
    done = []
    dest_dir = target.secrets_dir()
    for path in sorted(p for p in (files / "secrets").rglob("*") if p.is_file()):
        dest = dest_dir / path.relative_to(files / "secrets")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.restore")
        shutil.copy2(path, tmp)
        if dest.exists() and os.geteuid() == 0:  # the service that reads it keeps its access
            st = dest.stat()
            os.chown(tmp, st.st_uid, st.st_gid)
        tmp.replace(dest)
        done.append(str(dest))
    return done


def restore(target: Target, archive: Path, with_secrets: bool, say=print) -> None:
    with tempfile.TemporaryDirectory(prefix=".stacklab-restore.") as tmp:
        files = Path(tmp)
        manifest = unpack(archive, files)
        check_contents(target, files, archive)
        say(f"{archive.name}: verified ({len(manifest['files'])} files, created {manifest['created']})")
        if with_secrets and not manifest.get("with_secrets"):
            raise BackupError(f"{archive}: made without --with-secrets, it has no secrets to restore")
        absent = manifest.get("sqlite_absent", [])
        missing = [n for n in target.sqlite if n not in absent and not (files / "sqlite" / f"{n}.sqlite3").exists()]
        if missing:
            raise BackupError(f"{archive}: no copy of {', '.join(missing)} in it")
        has_dump = (files / DUMP).exists()
        if target.pg and not has_dump:
            raise BackupError(f"{archive}: no PostgreSQL dump in it")
        new = restore_postgres(target, manifest, files / DUMP) if target.pg else None
        if new:
            say(f"postgres: restored into {new}")
        stopped = target.stop_apps() if new else []
        try:
            if new:
                try:
                    switch_database(target, new)
                except BackupError:
                    target.sql(f'DROP DATABASE IF EXISTS "{new}"')
                    raise
                say(f"postgres: {new} is now {target.database}")
            for name in target.sqlite:
                if name in absent:
                    say(f"sqlite: {name} had no database when backed up, left as it is")
                    continue
                target.sqlite_load(name, (files / "sqlite" / f"{name}.sqlite3").read_bytes())
                say(f"sqlite: {name} restored")
            # Another host's parts (a two-host setup, an off-site copy restored on a smaller lab): named, not lost.
            if has_dump and not target.pg:
                say("postgres: no database on this host, skipped")
            others = sorted(p.stem for p in (files / "sqlite").glob("*.sqlite3") if p.stem not in target.sqlite)
            if others:
                say(f"sqlite: {', '.join(others)} not kept on this host, skipped")
            if with_secrets:
                for path in restore_secrets(target, files):
                    say(f"secrets: {path}")
        finally:
            target.start_apps(stopped)
        if stopped:
            say(f"started {' '.join(stopped)}")
