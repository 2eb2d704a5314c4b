"""The one reader of the lab's KEY=VALUE files: stack.env (the port plan), .env, a release's RELEASE file.

Syntax (a subset both systemd's EnvironmentFile and Ansible's `ini` lookup read the same way): one KEY=VALUE per
line, blank lines and `#` comments skipped, no quotes, spaces around key and value dropped. Standard library
only and no imports from its package, so tools outside the lab's venv can import it from a path.
"""

import os


def parse(text: str, source: str = "env file") -> dict[str, str]:
    """The file's settings, in file order; a line that is not KEY=VALUE is an error naming `source` and line."""
    values = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{source}:{number}: expected KEY=VALUE, got {raw!r}")
        values[key.strip()] = value.strip()
    return values


def read(path: str | os.PathLike) -> dict[str, str]:
    """parse() of a file; errors name the file."""
    with open(path, encoding="utf-8") as file:
        return parse(file.read(), os.fspath(path))
