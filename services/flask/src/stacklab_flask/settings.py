"""The app's settings: safe defaults, FLASK_* from the environment, and the checks that refuse an unsafe start."""

import os
from pathlib import Path

from flask import Flask

DEFAULTS = {
    "ENV": "production",  # FLASK_ENV; only "development" may turn DEBUG on
    "DEBUG": False,
    "MAX_CONTENT_LENGTH": 64 * 1024,  # larger request bodies get 413 before any view runs
    "MESSAGE_MAX_LENGTH": 1000,  # characters in one echoed or stored message
    "HISTORY_LIMIT": 100,  # messages kept in the history store; older ones are dropped
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
}


class ConfigError(RuntimeError):
    """The app refuses to start with unsafe or incomplete settings."""


def configure(app: Flask, test_config: dict | None) -> None:
    """Settings from the environment, or only `test_config` when one is given (flaskr style)."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_prefixed_env()  # FLASK_* -> config, values parsed as JSON when they can be
    else:
        app.config.from_mapping(test_config)
    _load_secret_key(app)
    _refuse_unsafe_debug(app)
    app.config.setdefault("HISTORY_DB", str(Path(app.instance_path) / "history.sqlite3"))


def _load_secret_key(app: Flask) -> None:
    key_file = app.config.get("SECRET_KEY_FILE")  # FLASK_SECRET_KEY_FILE, e.g. a compose secret
    # Else the systemd credential FLASK_SECRET_KEY (a VM's unit loads it, LoadCredential=), never the environment.
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if not key_file and not app.config.get("SECRET_KEY") and credentials:
        key_file = str(Path(credentials, "FLASK_SECRET_KEY"))
    if key_file:
        try:
            app.config["SECRET_KEY"] = Path(key_file).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read FLASK_SECRET_KEY_FILE {key_file}: {exc.strerror}") from exc
    if not app.config.get("SECRET_KEY") and not app.testing:
        raise ConfigError(
            "FLASK_SECRET_KEY, FLASK_SECRET_KEY_FILE or the credential FLASK_SECRET_KEY must be set (it signs the "
            "session cookie)"
        )


def _refuse_unsafe_debug(app: Flask) -> None:
    # Debug mode shows tracebacks and, under `flask run`, the Werkzeug debugger: remote code execution.
    if app.debug and app.config["ENV"] != "development":
        raise ConfigError(f"refusing to start with DEBUG on while FLASK_ENV is {app.config['ENV']!r}")
