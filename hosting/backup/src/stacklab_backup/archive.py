"""The archive format (one tar: manifest.json, postgres.dump, sqlite/, secrets/) and the commands that handle
archives as files, leaving the lab's data alone: verify (unpack, check), list, prune, cat."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from stacklab_backup.targets import BackupError, Target

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
