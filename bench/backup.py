"""Figures for backups: the time of `stacklab-backup create` and `restore` and the archive's size, for the lab as
seeded and for a Django database grown to 100,000 generated books. Prints them; asserts nothing.

    python3 bench/backup.py                       the compose lab (running: ./run up), from the repository
    python3 bench/backup.py --config FILE --tool /usr/local/sbin/stacklab-backup
                                                  a server's own services (run there as root, with the zipapp
                                                  that the backup role installs: it is importable as it is)

The restores put back what was just backed up, so the lab's data is as before; the generated books are deleted at
the end and the archives are written to a temporary directory that is removed. Stdlib only (with the tool).
"""

import argparse
import importlib.util
import os
import sys
import tarfile
import tempfile
import time
import zipimport
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GROW = (
    "INSERT INTO books (isbn, title, author, publisher) "
    "SELECT 'bench-' || g, 'Generated book number ' || g, 'Author ' || (g % 997), 'Bench Press' "
    "FROM generate_series(1, 100000) AS g"
)
SHRINK = "DELETE FROM books WHERE isbn LIKE 'bench-%'"


def size(n: int) -> str:
    return f"{n / 1024:.0f} KiB" if n < 1 << 20 else f"{n / (1 << 20):.1f} MiB"


def measure(tool, target, label: str, directory: Path) -> None:
    """One line of figures: create, then restore that archive into the running lab."""
    start = time.monotonic()
    archive = tool.create(target, directory, with_secrets=False)
    created = time.monotonic() - start
    start = time.monotonic()
    tool.restore(target, archive, with_secrets=False, say=lambda _: None)
    restored = time.monotonic() - start
    with tarfile.open(archive) as tar:
        parts = ", ".join(f"{m.name} {size(m.size)}" for m in tar.getmembers() if m.name != "manifest.json")
    books = target.sql("SELECT count(*) FROM books", db=target.database)[0][0] if target.pg else "-"
    print(f"{label:<8} books {books:>7}  create {created:5.1f} s  restore {restored:5.1f} s  "
          f"archive {size(archive.stat().st_size)} ({parts})")  # fmt: skip
    archive.unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, help="a server's backup.env (default: the compose lab)")
    parser.add_argument("--tool", type=Path, help="the stacklab-backup zipapp to import (default: the workspace's)")
    args = parser.parse_args()
    if args.tool:  # the zipapp's package first: its modules (targets, tool) then come from the zipapp too
        spec = zipimport.zipimporter(str(args.tool)).find_spec("stacklab_backup")
        sys.modules["stacklab_backup"] = package = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(package)
    from stacklab_backup import targets, tool

    if not args.config:
        os.environ.update(BACKUP_TARGET="compose", BACKUP_COMPOSE_DIR=str(ROOT))
    target = targets.load(args.config)
    with tempfile.TemporaryDirectory(prefix="stacklab-bench-backup.") as tmp:
        measure(tool, target, "seeded", Path(tmp))
        if target.pg:
            target.sql(GROW, db=target.database)
            try:
                measure(tool, target, "grown", Path(tmp))
            finally:
                target.sql(SHRINK, db=target.database)
    print(f"target: {target.kind}; machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
