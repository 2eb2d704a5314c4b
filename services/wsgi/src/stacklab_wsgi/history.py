"""The message history: one SQLite file in WAL mode that every gunicorn worker shares and that outlives restarts.

The course kept the history in a process global, so each Apache child had its own and a restart lost it.
A connection per request keeps the workers independent (and thread-safe); the newest `keep` messages are kept.
"""

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS app_secret (id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL);
"""


class HistoryStore:
    def __init__(self, path: Path, keep: int):
        self.path = path
        self.keep = keep

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
            conn.execute("PRAGMA synchronous=NORMAL")  # durable across a crash of the app; WAL keeps it consistent
            conn.executescript(SCHEMA)
            yield conn

    def add(self, text: str) -> None:
        with self._connect() as conn, conn:  # one transaction: insert, then trim to the newest `keep`
            conn.execute("INSERT INTO messages (text) VALUES (?)", (text,))
            conn.execute(
                "DELETE FROM messages WHERE id NOT IN (SELECT id FROM messages ORDER BY id DESC LIMIT ?)",
                (self.keep,),
            )

    def newest_first(self) -> list[str]:
        with self._connect() as conn:
            rows = conn.execute("SELECT text FROM messages ORDER BY id DESC LIMIT ?", (self.keep,))
            return [text for (text,) in rows]

    def check(self) -> None:
        """Raise sqlite3.Error unless the store can be read and written (takes, then drops, the write lock)."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("SELECT count(*) FROM messages").fetchone()
            conn.execute("ROLLBACK")

    def secret(self) -> bytes:
        """The CSRF key used when none is configured: made once, shared by every worker and restart."""
        with self._connect() as conn, conn:
            conn.execute("INSERT OR IGNORE INTO app_secret (id, key) VALUES (1, ?)", (secrets.token_bytes(32),))
            (key,) = conn.execute("SELECT key FROM app_secret WHERE id = 1").fetchone()
            return bytes(key)
