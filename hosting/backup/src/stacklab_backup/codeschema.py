"""The Django migrations a Python environment's code has, from the names of its files: migrations(PATHS) reads
them on a server (from the release's site-packages, without running its interpreter), and the compose target runs
this module in the django container (`python3 -c SOURCE`), which prints {"app label": ["0001_initial", ...]} as
JSON. The label is the directory holding migrations/, as for every app of the lab (django.contrib's and
stacklab_django's). Standard library only: Django is not imported.
"""

import json
import sys
from pathlib import Path


def migrations(paths: list[str]) -> dict[str, list[str]]:
    found: dict[str, set[str]] = {}
    for entry in paths:
        root = Path(entry)
        if not root.is_dir() or not (root.name == "site-packages" or root.name == "src"):
            continue
        for pattern in ("*/migrations/[0-9]*.py", "*/*/migrations/[0-9]*.py", "*/*/*/migrations/[0-9]*.py"):
            for file in root.glob(pattern):
                found.setdefault(file.parent.parent.name, set()).add(file.stem)
    return {app: sorted(names) for app, names in sorted(found.items())}


if __name__ == "__main__":
    print(json.dumps(migrations(sys.path)))
