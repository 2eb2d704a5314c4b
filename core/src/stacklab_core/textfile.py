"""Last-success times for the node exporter's textfile collector (docs/observability.md, "Alerts").

The backup job (stacklab_backup) and certbot's deploy hook (ansible/roles/acme) write one gauge each into
/var/lib/stacklab-metrics, a directory the node exporter reads besides Debian's own; Prometheus alerts when the
time is old. Written atomically (a hidden temp file in the same directory, then a rename): the collector never
reads half a file. Standard library only: `python3 textfile.py NAME [VALUE]` writes NAME.prom with VALUE (default:
now) from a bare python3 (the monitoring role installs it as /usr/local/lib/stacklab/textfile.py).
"""

import os
import sys
import time
from pathlib import Path

DIRECTORY = Path("/var/lib/stacklab-metrics")


def write(name: str, value: float, help_: str, directory: Path = DIRECTORY) -> Path:
    """Write gauge NAME = VALUE as DIRECTORY/NAME.prom, readable by the exporter's user."""
    path = directory / f"{name}.prom"
    tmp = path.with_name(f".{path.name}.{os.getpid()}")  # not *.prom: the collector ignores it
    tmp.write_text(f"# HELP {name} {help_}\n# TYPE {name} gauge\n{name} {value:.3f}\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path


def stamp(name: str, help_: str, directory: Path = DIRECTORY) -> Path | None:
    """Record now as NAME when DIRECTORY exists (a host with the monitoring role); None otherwise."""
    return write(name, time.time(), help_, directory) if directory.is_dir() else None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not 1 <= len(args) <= 2:
        print("usage: python3 textfile.py NAME [VALUE]", file=sys.stderr)
        return 2
    value = float(args[1]) if len(args) == 2 else time.time()
    write(args[0], value, "last success, seconds since the epoch (stacklab_core.textfile)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
