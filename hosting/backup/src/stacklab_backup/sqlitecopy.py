"""Online copies of a SQLite database, run where the database lives (`python3 -c SOURCE dump|load PATH`), as the
user that owns it (so a -wal or -shm file it creates stays the app's). Standard library only, no package imports:
the tool sends this file's source into a container or runs it under runuser.

    dump PATH   a consistent copy through SQLite's backup API (never a file copy: WAL pages would be lost),
                checked with PRAGMA integrity_check, written to stdout
    load PATH   the database on stdin, checked, copied into PATH in one write transaction: readers see the old
                data or the new, never half of it
"""

import os
import sqlite3
import sys


def checked(conn: sqlite3.Connection) -> sqlite3.Connection:
    (result,) = conn.execute("PRAGMA integrity_check").fetchone()
    if result != "ok":
        raise sqlite3.DatabaseError(f"integrity_check: {result}")
    return conn


def dump(path: str) -> bytes:
    if not os.path.isfile(path):  # connect() would make an empty one
        raise sqlite3.OperationalError("no such database file")
    live = sqlite3.connect(path, timeout=30)
    copy = sqlite3.connect(":memory:")
    try:
        live.backup(copy)
    finally:
        live.close()
    data = bytearray(checked(copy).serialize())
    # Header bytes 18-19 say WAL (2) as the live file's did; 1 (rollback journal) makes the copy a plain file that
    # opens anywhere, in memory too. This is what PRAGMA journal_mode=DELETE writes there.
    if data[18:20] == b"\x02\x02":
        data[18:20] = b"\x01\x01"
    return bytes(data)


def load(path: str, data: bytes) -> None:
    copy = sqlite3.connect(":memory:")
    copy.deserialize(data)
    checked(copy)
    live = sqlite3.connect(path, timeout=30)
    try:
        copy.backup(live)
        checked(live)
    finally:
        live.close()


def main(argv: list[str]) -> int:
    try:
        match argv:
            case ["dump", path]:
                sys.stdout.buffer.write(dump(path))
            case ["load", path]:
                load(path, sys.stdin.buffer.read())
            case _:
                print("usage: dump|load PATH", file=sys.stderr)
                return 2
    except sqlite3.Error as exc:
        print(f"{argv[1]}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
