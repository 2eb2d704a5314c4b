"""The message history: one SQLite file shared by every gunicorn worker (`HISTORY_DB`, env `FLASK_HISTORY_DB`).

A connection per request (kept on `flask.g`); WAL mode lets readers and one writer work at once, and the busy timeout
makes concurrent writers from other workers wait instead of failing.
"""

import sqlite3
from pathlib import Path

from flask import Flask, current_app, g

from .settings import ConfigError

SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    text TEXT NOT NULL,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
)
"""


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)
    path = app.config["HISTORY_DB"]
    try:
        with app.app_context():
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            db = connect()
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)
            db.commit()
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"history store {path}: {exc}; set FLASK_HISTORY_DB to a writable file") from exc


def connect() -> sqlite3.Connection:
    if "history_db" not in g:
        g.history_db = sqlite3.connect(current_app.config["HISTORY_DB"], timeout=5.0)
        g.history_db.row_factory = sqlite3.Row
    return g.history_db


def _close(_exc: BaseException | None = None) -> None:
    db = g.pop("history_db", None)
    if db is not None:
        db.close()


def add(text: str) -> None:
    """Store one message and drop the oldest beyond `HISTORY_LIMIT`, in one transaction."""
    db = connect()
    with db:
        db.execute("INSERT INTO message (text) VALUES (?)", (text,))
        db.execute(
            "DELETE FROM message WHERE id NOT IN (SELECT id FROM message ORDER BY id DESC LIMIT ?)",
            (current_app.config["HISTORY_LIMIT"],),
        )


def newest_first() -> list[sqlite3.Row]:
    return connect().execute("SELECT text, created FROM message ORDER BY id DESC").fetchall()


def ping() -> None:
    """Raise sqlite3.Error when the store does not answer."""
    connect().execute("SELECT count(*) FROM message").fetchone()
