"""stacklab-backup: back up and restore the lab's data, on a server (target local) or the compose lab (compose).

    stacklab-backup create  [--dir DIR] [--with-secrets] [--config FILE]   last line: the archive's path
    stacklab-backup list    [--dir DIR] [--config FILE]                    NAME SIZE CREATED RELEASE, newest first
    stacklab-backup verify  ARCHIVE [--identity KEY --signer PUB] [--config FILE]   checksums, manifest, dump, SQLite
    stacklab-backup restore ARCHIVE [--identity KEY --signer PUB] [--with-secrets] [--config FILE]
                                                  verify, then all or nothing (`-`: stdin)
    stacklab-backup seal    ARCHIVE --recipients FILE --signing-key KEY --out DIR   the off-site copy: last line
    stacklab-backup cat     ARCHIVE [--config FILE]                        the archive's bytes on stdout
    stacklab-backup prune   [--dir DIR] [--keep-daily N] [--keep-weekly M] [--keep-last K] [--config FILE]

`restore -` and `cat` are how fab's deploy user, which may run only some of these through sudo
(docs/security.md), hands an archive over and gets one: root opens no file the user named, and reads only
archives by their own name (stacklab-<time>.tar).

An archive is one uncompressed tar, stacklab-<UTC time>.tar, mode 0600 (pg_dump -Fc compresses already):
manifest.json, postgres.dump (pg_dump -Fc), sqlite/<name>.sqlite3 (online copies), secrets/... (--with-secrets).
It is written as NAME.partial, verified, then renamed: a NAME.tar is always complete. An off-site copy is sealed
(offsite.py): NAME.tar.age, encrypted to the operator's age key, and NAME.tar.age.sig; verify and restore open
one with --identity (the operator's age identity) and --signer (the server's signing public key, as recorded).

A restore verifies the whole archive first, refuses a schema newer than the installed code and a dump from a
newer PostgreSQL than the server's, restores the dump into a new database (one transaction), and only then
stops the apps, switches the databases by renaming (one transaction), loads each SQLite copy (one transaction
each) and starts the apps again. Bad input changes nothing. Config: targets.py (/etc/stacklab/backup.env).

This module is the command line; the work is in create.py, restore.py and archive.py (the format, verify, list,
prune, cat), and in targets.py (where the data is). The zipapp carries stacklab_core.layout (the server paths)
and stacklab_core.textfile (the last-success time it leaves for the monitoring).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from stacklab_core import layout, textfile

from stacklab_backup.archive import MANIFEST, archives, describe, prune, verify, write_archive
from stacklab_backup.create import create
from stacklab_backup.offsite import is_sealed, opened, seal
from stacklab_backup.restore import restore
from stacklab_backup.targets import BackupError, load

BACKUP_METRIC = "stacklab_backup_last_success_timestamp_seconds"


@contextmanager
def plain_archive(args: argparse.Namespace) -> Iterator[Path]:
    """The archive argument as a plain tar: itself, or a sealed copy opened (signature checked, decrypted)."""
    if is_sealed(args.archive):
        with opened(args.archive, args.identity, args.signer) as plain:
            yield plain
    else:
        yield args.archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stacklab-backup", description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, help=f"KEY=VALUE file (default {layout.BACKUP_CONFIG})")
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    with_dir = argparse.ArgumentParser(add_help=False)
    with_dir.add_argument("--dir", type=Path, help="where the archives are (default BACKUP_DIR)")
    p = sub.add_parser("create", parents=[common, with_dir], help="make an archive; prints its path last")
    p.add_argument("--with-secrets", action="store_true", help="include the secrets")
    sub.add_parser("list", parents=[common, with_dir], help="the archives, newest first")
    sealed = argparse.ArgumentParser(add_help=False)
    sealed.add_argument("--identity", type=Path, help="a sealed copy's age identity (the operator's key)")
    sealed.add_argument("--signer", type=Path, help="a sealed copy's signing public key (the operator's record)")
    p = sub.add_parser("verify", parents=[common, sealed], help="check an archive")
    p.add_argument("archive", type=Path)
    p = sub.add_parser("restore", parents=[common, sealed], help="verify an archive, then restore it, all or nothing")
    p.add_argument("archive", type=Path, help="a file, or - for one on stdin")
    p.add_argument("--with-secrets", action="store_true", help="put the archive's secrets back too")
    p = sub.add_parser("seal", parents=[common], help="encrypt and sign an archive for off-site: prints its path")
    p.add_argument("archive", type=Path)
    p.add_argument("--recipients", type=Path, required=True, help="age recipients file (the operator's public key)")
    p.add_argument("--signing-key", type=Path, required=True, help="this server's SSH signing key")
    p.add_argument("--out", type=Path, required=True, help="folder for NAME.tar.age and its .sig")
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
                # For the BackupStale alert (docs/observability.md): only a verified archive counts.
                textfile.stamp(BACKUP_METRIC, "end of the last successful stacklab-backup create, epoch seconds")
            case "list":
                for path in archives(directory):
                    print(describe(path))
            case "verify":
                if not args.archive.is_file():
                    raise BackupError(f"{args.archive}: no such file")
                with plain_archive(args) as plain:
                    manifest = verify(target, plain)
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
                with plain_archive(args) as plain:
                    restore(target, plain, args.with_secrets)
            case "seal":
                print(seal(args.archive, args.recipients, args.signing_key, args.out))
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
