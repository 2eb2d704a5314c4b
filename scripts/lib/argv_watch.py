#!/usr/bin/env python3
"""Watch every process's command line on this machine for the values of the secret files in a folder, until
SIGTERM or SIGINT; then say which secrets were seen and exit 1, or exit 0. Any user can read any process's command
line (ps), and a machine's process list includes the processes inside its containers: scripts/test-vm runs this
beside its converges, which see the stand-ins' psql, sudo and module runs as well as ansible's own ssh.

    scripts/lib/argv_watch.py SECRETS_DIR [INTERVAL_SECONDS]      (default 0.05: about 5 % of one core)

The folder is read again every second (Ansible's `lookup('password')` writes the files during the first run). A
secret's value is never printed: a report names the file, and the command line with the value masked.
Standard library only.
"""

import os
import signal
import sys
import time
from pathlib import Path

RELOAD_SECONDS = 1.0


def secrets(folder: Path) -> dict[str, bytes]:
    """name -> value (the file's text without surrounding whitespace), for every non-empty file."""
    found = {}
    for path in folder.iterdir() if folder.is_dir() else ():
        try:
            value = path.read_bytes().strip()
        except OSError:  # a file being written, or a folder
            continue
        if value:
            found[path.name] = value
    return found


def command_lines():
    """(pid, command line) of every process there is now; those that end while being read are left out."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:  # os.open and os.read: a third of open()'s cost, and this runs 20 times a second
                fd = os.open(f"/proc/{entry.name}/cmdline", os.O_RDONLY)
                try:
                    yield entry.name, os.read(fd, 1 << 20)
                finally:
                    os.close(fd)
            except OSError:
                continue


def main() -> int:
    folder, interval = Path(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.05
    stopping = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.append(True))
    values, loaded, snapshots = {}, 0.0, 0
    seen: dict[str, dict[str, str]] = {}  # secret -> program -> where
    while not stopping:
        if time.monotonic() - loaded > RELOAD_SECONDS:
            values, loaded = secrets(folder), time.monotonic()
        for pid, line in command_lines():
            names = [name for name, value in values.items() if value in line]
            program = os.path.basename(line.split(b"\0", 1)[0]).decode(errors="replace")
            if names and any(program not in seen.get(name, {}) for name in names):
                for name, value in values.items():
                    line = line.replace(value, b"<" + name.encode() + b">")
                at = line.find(b"<" + names[0].encode() + b">")
                shown = line[max(0, at - 160) : at + 80].replace(b"\0", b" ").decode(errors="replace")
                for name in names:
                    seen.setdefault(name, {}).setdefault(program, f"pid {pid} ({program}): ...{shown}...")
        snapshots += 1
        time.sleep(interval)
    if not values:
        print(f"argv-watch: no secrets in {folder} to look for", file=sys.stderr)
        return 1
    for name, programs in sorted(seen.items()):
        for where in programs.values():  # one example per program
            print(f"argv-watch: the value of {folder / name} was on a command line, {where}", file=sys.stderr)
    print(f"argv-watch: {snapshots} snapshots of every process, {len(values)} secrets, {len(seen)} seen")
    return 1 if seen else 0


if __name__ == "__main__":
    sys.exit(main())
