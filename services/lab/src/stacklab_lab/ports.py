"""The lab's port plan (`stack.env`): ports of every service plus ECHO_PREFIX, as a dict of strings.

`load()` starts from the course's defaults, overlays a stack.env file (the `path` given, else `$STACKLAB_ENV_FILE`,
else the nearest `stack.env` above the working directory, if any), then, only when no path is given, the
environment (compose and systemd pass the plan as env vars).
"""

import os
from pathlib import Path

DEFAULTS = {
    "ECHO_PORT": "50000",
    "RECHO_PORT": "50002",
    "ECHO_SELECT_PORT": "50003",
    "CHAT_PORT": "50004",
    "WS30_PORT": "8080",
    "HELLO_WWW_PORT": "8081",
    "ECHO_WWW_PORT": "8082",
    "CGI_PORT": "8083",
    "WSGI_PORT": "8084",
    "FLASK_PORT": "5000",
    "DJANGO_PORT": "8000",
    "LAB_PORT": "8090",
    "ECHO_PREFIX": "uw-student",
}


def parse(text: str, source: str = "stack.env") -> dict[str, str]:
    """KEY=VALUE lines; blank lines and `#` comments skipped; values unquoted, surrounding spaces dropped."""
    plan = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{source}:{number}: expected KEY=VALUE, got {raw!r}")
        plan[key.strip()] = value.strip()
    return plan


def load(path: str | os.PathLike | None = None) -> dict[str, str]:
    plan = dict(DEFAULTS)
    file = Path(path) if path is not None else _find_stack_env()
    if file is not None:
        plan.update(parse(file.read_text(), str(file)))
    if path is None:
        plan.update({key: os.environ[key] for key in plan if os.environ.get(key)})
    return plan


def port(plan: dict[str, str], key: str) -> int:
    try:
        return int(plan[key])
    except (KeyError, ValueError):
        raise ValueError(f"port plan: {key} is {plan.get(key)!r}, not a port number") from None


def _find_stack_env() -> Path | None:
    if explicit := os.environ.get("STACKLAB_ENV_FILE"):
        return Path(explicit)
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "stack.env").is_file():
            return folder / "stack.env"
    return None
