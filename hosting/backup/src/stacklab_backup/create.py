"""`create`: everything a target holds (the PostgreSQL dump, the SQLite copies, optionally the secrets) as one
archive, written as NAME.partial, verified, then renamed: a NAME.tar is always complete."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from stacklab_backup.archive import DUMP, FORMAT, MANIFEST, sha256, verify
from stacklab_backup.targets import BackupError, Target


def django_schema(target: Target, db: str) -> dict[str, str]:
    """The latest applied migration per app in that database ({} before Django's first migrate)."""
    rows = target.sql(
        "SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app"
        if target.sql("SELECT to_regclass('public.django_migrations') IS NOT NULL", db=db) == [["t"]]
        else "SELECT 1 WHERE false",
        db=db,
    )
    return {app: name for app, name in rows}


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
