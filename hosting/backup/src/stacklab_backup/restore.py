"""`restore`: verify the whole archive, refuse a schema newer than the installed code and a dump from a newer
PostgreSQL, restore the dump into a new database, and only then stop the apps, switch the databases, load the
SQLite copies (and the secrets) and start the apps again. Bad input changes nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
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


# Roles whose members run programs or read and write files on the server: a restoring role must be none of them.
SERVER_ROLES = ("pg_execute_server_program", "pg_read_server_files", "pg_write_server_files")


def scram_verifier(password: str) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677): CREATE ROLE takes it in place of
    the password, so the password itself never appears on a command line or in the server's log."""
    salt, iterations = secrets.token_bytes(16), 4096
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    stored = hashlib.sha256(hmac.digest(salted, b"Client Key", "sha256")).digest()
    server = hmac.digest(salted, b"Server Key", "sha256")
    b64 = base64.b64encode
    return f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}${b64(stored).decode()}:{b64(server).decode()}"


def owner_of(target: Target, db: str) -> str:
    """The live database's owner, which a restore runs as: refused when it is a superuser or may reach the
    server's programs or files (a dump's COPY ... TO PROGRAM would then be a shell on the database host)."""
    rows = target.sql(f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{db}'")  # noqa: S608 (a checked plain name)
    if not rows:
        raise BackupError(f"no database {db} to restore into: provision the server first (its owner restores)")
    owner = rows[0][0]
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", owner):
        raise BackupError(f"the owner of {db}, {owner!r}, is not a plain lowercase name")
    roles = ", ".join(f"'{role}'" for role in SERVER_ROLES)
    (flags,) = target.sql(
        f"SELECT rolsuper, bool_or(pg_has_role(rolname, m, 'MEMBER')) FROM pg_roles, unnest(ARRAY[{roles}]) m"  # noqa: S608
        f" WHERE rolname = '{owner}' GROUP BY rolsuper"
    )
    if target.owner_restores and "t" in flags:
        raise BackupError(
            f"{owner}, the owner of {db}, is a superuser or may run programs on the server: a restore runs as the "
            "owner, which must not be either (docs/backups.md)"
        )
    return owner


def restore_postgres(target: Target, manifest: dict, dump: Path) -> str:
    """The dump restored into a new database owned by the live one's owner, as that owner (never as a superuser),
    in one transaction; its name (nothing live touched yet)."""
    (version,) = target.sql("SHOW server_version_num")[0]
    theirs = manifest.get("postgres", {}).get("server_version_num", "0")
    if pg_major(theirs) > pg_major(version):
        raise BackupError(f"the dump is from PostgreSQL {pg_major(theirs)}, this server is {pg_major(version)}")
    check_schema(target, manifest["schema"].get("django", {}))
    db = target.database
    owner = owner_of(target, db)
    new = f"{db}_restore_{os.getpid()}"
    target.sql(f'CREATE DATABASE "{new}" OWNER "{owner}" TEMPLATE template0')
    try:
        with open(dump, "rb") as data:
            restore_as_owner(target, owner, new, data)
    except BackupError:
        target.sql(f'DROP DATABASE IF EXISTS "{new}"')
        raise
    return new


def restore_as_owner(target: Target, owner: str, new: str, data) -> None:
    """pg_restore into new as the owner: objects are the owner's (--no-owner), and nothing in the dump runs with
    more than the owner's rights. When we connect as another role (the superuser, on a server), a throwaway login
    role that is a member of the owner and nothing else restores with --role: its session can SET ROLE to the owner
    and back to itself, never to a superuser. The compose lab restores as its image's superuser, --role the owner."""
    args = ["--exit-on-error", "--single-transaction", "--no-password", "--no-owner"]
    ((session, superuser),) = target.sql("SELECT session_user, rolsuper FROM pg_roles WHERE rolname = session_user")
    if not target.owner_restores or (session == owner and superuser == "f"):
        # --role: what the restore makes belongs to the owner, also when the session is compose's superuser
        target.pg_tool("pg_restore", *args, f"--role={owner}", db=new, stdin=data)
        return
    role, password = f"stacklab_restore_{os.getpid()}", secrets.token_hex(24)
    until = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(time.time() + 6 * 3600))
    target.sql(
        f"CREATE ROLE {role} LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
        f" PASSWORD '{scram_verifier(password)}' VALID UNTIL '{until}' IN ROLE \"{owner}\""
    )
    try:
        target.pg_tool("pg_restore", *args, f"--role={owner}", db=new, stdin=data, login=(role, password))
    except BackupError:
        target.sql(f'DROP DATABASE IF EXISTS "{new}"')  # with whatever the role made there
        target.sql(f"DROP ROLE IF EXISTS {role}")
        raise
    target.sql(f'REASSIGN OWNED BY {role} TO "{owner}"; DROP OWNED BY {role}', db=new)
    target.sql(f"DROP ROLE {role}")


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
