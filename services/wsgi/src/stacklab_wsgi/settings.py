"""The app's settings, from the environment (systemd EnvironmentFile, compose env_file, or the shell)."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HISTORY_DB = "./wsgi-history.sqlite3"
DEFAULT_HISTORY_MAX = 100
DEFAULT_LAB_PORT = 8090


@dataclass(frozen=True)
class Settings:
    history_db: Path  # WSGI_HISTORY_DB: the SQLite file every worker shares
    history_max: int  # WSGI_HISTORY_MAX: how many of the newest messages are kept
    secret_key: bytes | None  # WSGI_SECRET_KEY or WSGI_SECRET_KEY_FILE; None: a key kept in the history database
    # The pages' "lab index" link: WSGI_LAB_URL, else http://<the host asked for>:LAB_PORT/ (stack.env), which is
    # where the lab index is in compose and on a VM.
    lab_url: str | None = None
    lab_port: int = DEFAULT_LAB_PORT

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Settings":
        history_max = env.get("WSGI_HISTORY_MAX", str(DEFAULT_HISTORY_MAX)).strip()
        if not (history_max.isascii() and history_max.isdigit()) or int(history_max) < 1:
            raise ValueError(f"WSGI_HISTORY_MAX must be a whole number of at least 1, not {history_max!r}")
        lab_port = env.get("LAB_PORT", str(DEFAULT_LAB_PORT)).strip()
        if not (lab_port.isascii() and lab_port.isdigit()) or not 0 < int(lab_port) < 65536:
            raise ValueError(f"LAB_PORT must be a TCP port number, not {lab_port!r}")
        return cls(
            history_db=Path(env.get("WSGI_HISTORY_DB") or DEFAULT_HISTORY_DB),
            history_max=int(history_max),
            secret_key=_secret(env, "WSGI_SECRET_KEY"),
            lab_url=env.get("WSGI_LAB_URL") or None,
            lab_port=int(lab_port),
        )


def _secret(env: Mapping[str, str], name: str) -> bytes | None:
    """A secret from env NAME, or from the file named by NAME_FILE (compose secrets), or from the systemd
    credential NAME ($CREDENTIALS_DIRECTORY/NAME: a VM's unit loads it, LoadCredential=)."""
    if value := env.get(name):
        return value.encode()
    path = env.get(f"{name}_FILE")
    credential = Path(env.get("CREDENTIALS_DIRECTORY") or ".", name)
    if not path and env.get("CREDENTIALS_DIRECTORY") and credential.is_file():
        path = str(credential)
    if path:
        value = Path(path).read_text(encoding="utf-8").strip()
        if not value:
            raise ValueError(f"{name}_FILE names an empty file: {path}")
        return value.encode()
    return None
