"""stacklab-backup: back up and restore the lab's data, on a server (target local) or the compose lab (compose).

    stacklab-backup create  [--dir DIR] [--with-secrets] [--config FILE]   last line: the archive's path
    stacklab-backup list    [--dir DIR] [--config FILE]                    NAME SIZE CREATED RELEASE, newest first
    stacklab-backup verify  ARCHIVE [--config FILE]                        checksums, manifest, dump, SQLite
    stacklab-backup restore ARCHIVE [--with-secrets] [--config FILE]       verify, then all or nothing (`-`: stdin)
    stacklab-backup cat     ARCHIVE [--config FILE]                        the archive's bytes on stdout
    stacklab-backup prune   [--dir DIR] [--keep-daily N] [--keep-weekly M] [--keep-last K] [--config FILE]

`restore -` and `cat` are how fab's deploy user, which may run only some of these through sudo
(docs/security.md), hands an archive over and gets one: root opens no file the user named, and reads only
archives by their own name (stacklab-<time>.tar).

An archive is one uncompressed tar, stacklab-<UTC time>.tar, mode 0600 (pg_dump -Fc compresses already):
manifest.json, postgres.dump (pg_dump -Fc), sqlite/<name>.sqlite3 (online copies), secrets/... (--with-secrets).
It is written as NAME.partial, verified, then renamed: a NAME.tar is always complete.

A restore verifies the whole archive first, refuses a schema newer than the installed code and a dump from a
newer PostgreSQL than the server's, restores the dump into a new database (one transaction), and only then
stops the apps, switches the databases by renaming (one transaction), loads each SQLite copy (one transaction
each) and starts the apps again. Bad input changes nothing. Config: targets.py (/etc/stacklab/backup.env).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from stacklab_backup.targets import BackupError, Target, load

FORMAT = 1
NAME = re.compile(r"^stacklab-(\d{8}T\d{6}Z)\.tar$")
DUMP = "postgres.dump"
MANIFEST = "manifest.json"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def pg_major(version_num: str) -> int:
    return int(version_num) // 10000


def django_schema(target: Target, db: str) -> dict[str, str]:
    """The latest applied migration per app in that database ({} before Django's first migrate)."""
    rows = target.sql(
        "SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app"
        if target.sql("SELECT to_regclass('public.django_migrations') IS NOT NULL", db=db) == [["t"]]
        else "SELECT 1 WHERE false",
        db=db,
    )
    return {app: name for app, name in rows}


# --- create -----------------------------------------------------------------------------------------------------


def collect(target: Target, stage: Path, with_secrets: bool, now: datetime) -> dict:
    """Everything the archive holds, as files under stage; the manifest (without its file list)."""
    manifest: dict = {
        "format": FORMAT,
        "created": f"{now:%Y-%m-%dT%H:%M:%SZ}",
        "release": target.release(),
        "host": target.host(),
        "target": target.kind,
        "schema": {"django": {}},
        "with_secrets": with_secrets,
    }
    if target.pg:
        (version,) = target.sql("SHOW server_version_num")[0]
        manifest["postgres"] = {"database": target.database, "server_version_num": version}
        manifest["schema"]["django"] = django_schema(target, target.database)
        with open(stage / DUMP, "wb") as out:
            target.pg_tool("pg_dump", "--format=custom", db=target.database, stdout=out)
    (stage / "sqlite").mkdir()
    # A fresh server's app has no history before its first message: nothing to copy, noted for the restore.
    manifest["sqlite_absent"] = [name for name in target.sqlite if not target.sqlite_present(name)]
    for name in manifest["sqlite_absent"]:
        print(f"sqlite: {name} has no database yet, skipped", file=sys.stderr)
    for name in (n for n in target.sqlite if n not in manifest["sqlite_absent"]):
        data = target.sqlite_dump(name)
        (stage / "sqlite" / f"{name}.sqlite3").write_bytes(data)
    if with_secrets:
        source_dir = target.secrets_dir()
        if not source_dir.is_dir():
            raise BackupError(f"{source_dir}: no secrets directory")
        for path in sorted(p for p in source_dir.rglob("*") if p.is_file() and not p.is_symlink()):
            dest = stage / "secrets" / path.relative_to(source_dir)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
    return manifest


def create(target: Target, directory: Path, with_secrets: bool) -> Path:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = datetime.now(UTC)
    name = f"stacklab-{now:%Y%m%dT%H%M%SZ}.tar"
    final, partial = directory / name, directory / f"{name}.partial"
    if final.exists():
        raise BackupError(f"{final} exists already (one archive per second)")
    stage = Path(tempfile.mkdtemp(prefix=".stacklab-backup.", dir=directory))
    try:
        manifest = collect(target, stage, with_secrets, now)
        files = sorted(p for p in stage.rglob("*") if p.is_file())
        manifest["files"] = {str(p.relative_to(stage)): {"size": p.stat().st_size, "sha256": sha256(p)} for p in files}
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # 0600 from the start, not after
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode() + b"\n")
            for path in files:
                tar.add(path, arcname=str(path.relative_to(stage)), recursive=False)
            raw.flush()
            os.fsync(raw.fileno())
        verify(target, partial)
        partial.rename(final)
    except OSError as exc:
        raise BackupError(f"writing {partial}: {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        partial.unlink(missing_ok=True)
    return final


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    member = tarfile.TarInfo(name)
    member.size, member.mode, member.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
    tar.addfile(member, io.BytesIO(data))


# --- verify -----------------------------------------------------------------------------------------------------


def unpack(archive: Path, into: Path) -> dict:
    """The archive's files, checked against its manifest, under into; the manifest. Only the manifest's regular
    files are written, by name (no extractall: a crafted member cannot land outside `into`)."""
    try:
        with tarfile.open(archive, "r:") as tar:
            members = {m.name: m for m in tar.getmembers()}
            if MANIFEST not in members:
                raise BackupError(f"{archive}: no {MANIFEST}: not a stacklab backup")
            manifest = json.loads(tar.extractfile(members[MANIFEST]).read())
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise BackupError(f"{archive}: format {manifest.get('format')!r}, this tool reads {FORMAT}")
            files = manifest.get("files", {})
            extra = set(members) - set(files) - {MANIFEST}
            if extra:
                raise BackupError(f"{archive}: members not in the manifest: {', '.join(sorted(extra))}")
            for name, expected in files.items():
                member = members.get(name)
                if member is None or not member.isfile():
                    raise BackupError(f"{archive}: {name} is missing")
                if ".." in Path(name).parts or Path(name).is_absolute():
                    raise BackupError(f"{archive}: unsafe member name {name!r}")
                dest = into / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)
                if dest.stat().st_size != expected["size"] or sha256(dest) != expected["sha256"]:
                    raise BackupError(f"{archive}: {name}: checksum mismatch (the archive is damaged)")
                dest.chmod(member.mode & 0o777)
    except (tarfile.TarError, EOFError, json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise BackupError(f"{archive}: corrupt or truncated archive ({exc or type(exc).__name__})") from exc
    return manifest


def check_contents(target: Target, files: Path, archive: Path) -> None:
    for path in sorted((files / "sqlite").glob("*.sqlite3")):
        copy = sqlite3.connect(":memory:")
        try:
            copy.deserialize(path.read_bytes())
            (result,) = copy.execute("PRAGMA integrity_check").fetchone()
        except sqlite3.Error as exc:
            result = str(exc)
        if result != "ok":
            raise BackupError(f"{archive}: sqlite/{path.name}: not a sound SQLite database ({result})")
    if (files / DUMP).exists() and target.pg:
        with open(files / DUMP, "rb") as dump:
            target.pg_tool("pg_restore", "--list", stdin=dump, stdout=subprocess.DEVNULL)


def verify(target: Target, archive: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix=".stacklab-verify.", dir=archive.parent) as tmp:
        manifest = unpack(archive, Path(tmp))
        check_contents(target, Path(tmp), archive)
    return manifest


# --- restore ----------------------------------------------------------------------------------------------------


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


# --- list, prune --------------------------------------------------------------------------------------------------


def archives(directory: Path) -> list[Path]:
    """Complete archives, newest first (by the UTC time in the name)."""
    found = [p for p in directory.glob("stacklab-*.tar") if NAME.match(p.name)] if directory.is_dir() else []
    return sorted(found, key=lambda p: p.name, reverse=True)


def created(path: Path) -> datetime:
    return datetime.strptime(NAME.match(path.name).group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def describe(path: Path) -> str:
    try:
        with tarfile.open(path, "r:") as tar:
            manifest = json.loads(tar.extractfile(MANIFEST).read())
        release = manifest.get("release") or "-"
    except (OSError, tarfile.TarError, KeyError, ValueError, AttributeError):
        release = "(unreadable)"
    size = path.stat().st_size
    return f"{path.name}  {size:>12}  {created(path):%Y-%m-%dT%H:%M:%SZ}  {release}"


def prune(directory: Path, keep_daily: int, keep_weekly: int, keep_last: int = 0) -> list[Path]:
    """Keep the newest archive of each of the last keep_daily days that have one, of each of the last
    keep_weekly ISO weeks, and the keep_last newest; remove the others. Returns what it removed."""
    if keep_daily + keep_weekly + keep_last < 1:
        raise BackupError("prune keeps at least one archive (--keep-daily, --keep-weekly or --keep-last)")
    keep: set[Path] = set(archives(directory)[:keep_last])
    days: dict[str, Path] = {}
    weeks: dict[str, Path] = {}
    for path in archives(directory):  # newest first: the first seen of a day or week is its newest
        days.setdefault(f"{created(path):%Y-%m-%d}", path)
        weeks.setdefault("{}-{:02d}".format(*created(path).isocalendar()[:2]), path)
    keep.update(list(days.values())[:keep_daily])
    keep.update(list(weeks.values())[:keep_weekly])
    removed = [p for p in archives(directory) if p not in keep]
    for path in removed:
        path.unlink()
    return removed


def write_archive(archive: Path, out) -> None:
    """An archive's bytes to out: only a regular file named like an archive, never through a symlink."""
    if not NAME.match(archive.name):
        raise BackupError(f"{archive}: not an archive name (stacklab-<UTC time>.tar)")
    try:
        fd = os.open(archive, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise BackupError(f"{archive}: no such archive") from None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise BackupError(f"{archive}: not a regular file")
        shutil.copyfileobj(file, out)
    out.flush()


# --- command line -------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stacklab-backup", description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, help="KEY=VALUE file (default /etc/stacklab/backup.env)")
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    with_dir = argparse.ArgumentParser(add_help=False)
    with_dir.add_argument("--dir", type=Path, help="where the archives are (default BACKUP_DIR)")
    p = sub.add_parser("create", parents=[common, with_dir], help="make an archive; prints its path last")
    p.add_argument("--with-secrets", action="store_true", help="include the secrets")
    sub.add_parser("list", parents=[common, with_dir], help="the archives, newest first")
    p = sub.add_parser("verify", parents=[common], help="check an archive")
    p.add_argument("archive", type=Path)
    p = sub.add_parser("restore", parents=[common], help="verify an archive, then restore it, all or nothing")
    p.add_argument("archive", type=Path, help="a file, or - for one on stdin")
    p.add_argument("--with-secrets", action="store_true", help="put the archive's secrets back too")
    p = sub.add_parser("cat", parents=[common], help="write an archive to stdout")
    p.add_argument("archive", type=Path)
    p = sub.add_parser("prune", parents=[common, with_dir], help="apply the retention policy")
    p.add_argument("--keep-daily", type=int, default=0)
    p.add_argument("--keep-weekly", type=int, default=0)
    p.add_argument("--keep-last", type=int, default=0, help="and the N newest")
    args = parser.parse_args(argv)
    try:
        target = load(args.config)
        directory = getattr(args, "dir", None) or target.backup_dir
        match args.command:
            case "create":
                path = create(target, directory, args.with_secrets)
                with tarfile.open(path) as tar:
                    manifest = json.loads(tar.extractfile(MANIFEST).read())
                for name, info in manifest["files"].items():
                    print(f"{name}  {info['size']} bytes")
                print(path)
            case "list":
                for path in archives(directory):
                    print(describe(path))
            case "verify":
                if not args.archive.is_file():
                    raise BackupError(f"{args.archive}: no such file")
                manifest = verify(target, args.archive)
                print(f"{args.archive}: ok ({len(manifest['files'])} files, created {manifest['created']})")
            case "restore" if str(args.archive) == "-":
                with tempfile.TemporaryDirectory(prefix=".stacklab-upload.") as tmp:  # root's alone (0700)
                    upload = Path(tmp) / "uploaded.tar"
                    with open(upload, "wb") as out:
                        shutil.copyfileobj(sys.stdin.buffer, out)
                    restore(target, upload, args.with_secrets)
            case "restore":
                if not args.archive.is_file():
                    raise BackupError(f"{args.archive}: no such file")
                restore(target, args.archive, args.with_secrets)
            case "cat":
                write_archive(args.archive, sys.stdout.buffer)
            case "prune":
                for path in prune(directory, args.keep_daily, args.keep_weekly, args.keep_last):
                    print(f"removed {path}")
    except BackupError as exc:
        print(f"stacklab-backup: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a full disk, a permission: one line, no traceback
        print(f"stacklab-backup: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
