"""stacklab-backup by import, against a real PostgreSQL (scripts/test-postgres: TEST_DATABASE_URL) and real SQLite
files: an archive is complete and checked, a restore brings back every row, and bad input (a damaged, truncated or
foreign archive, a dump that fails halfway, a schema newer than the code, a full disk) is refused with one line
and leaves the live data as it was. Without TEST_DATABASE_URL the PostgreSQL tests skip (`./run unit` runs this
directory again under scripts/test-postgres)."""

import io
import json
import os
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from stacklab_backup.archive import prune
from stacklab_backup.create import create
from stacklab_backup.restore import restore
from stacklab_backup.targets import BackupError, LocalTarget

URL = os.environ.get("TEST_DATABASE_URL", "")
needs_postgres = pytest.mark.skipif(not URL, reason="no PostgreSQL: run under scripts/test-postgres")


@pytest.fixture(scope="module")
def pg_env():
    """libpq's PG* variables for the test server (the tool runs the pg tools as we are: BACKUP_PG_RUN_AS empty)."""
    url = urlsplit(URL)
    env = {"PGHOST": url.hostname, "PGPORT": str(url.port), "PGUSER": url.username, "PGPASSWORD": unquote(url.password)}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield env
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def psql(db: str, query: str) -> str:
    return subprocess.run(
        ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", query],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def history(path: Path, *messages: str) -> None:
    """A history as the apps keep it: WAL mode, messages added one transaction each."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
        conn.executemany("INSERT INTO messages (text) VALUES (?)", [(m,) for m in messages])
    conn.close()


def messages(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        rows = [text for (text,) in conn.execute("SELECT text FROM messages ORDER BY id")]
    conn.close()
    return rows


@pytest.fixture
def lab(tmp_path, pg_env):
    """A database shaped like Django's (django_migrations with the code's own names, a books table) and the two
    SQLite histories; the target that backs them up; the archives' directory."""
    db = f"bk_{uuid.uuid4().hex[:12]}"
    psql("postgres", f"CREATE DATABASE {db}")
    psql(
        db,
        "CREATE TABLE django_migrations (id serial PRIMARY KEY, app text, name text, applied timestamptz);"
        "INSERT INTO django_migrations (app, name, applied) VALUES"
        " ('books', '0001_initial', now()), ('books', '0002_seed_books', now()),"
        " ('auth', '0012_alter_user_first_name_max_length', now());"
        "CREATE TABLE books (isbn text PRIMARY KEY, title text NOT NULL);"
        "INSERT INTO books VALUES ('978-0521725965', 'Python for Software Design'), ('978-1', 'Ünïcode ✓');",
    )  # fmt: skip
    history(tmp_path / "wsgi.sqlite3", "hello", "wsgi ✓")
    history(tmp_path / "flask.sqlite3", "flask one")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "django_secret_key").write_text("s3cret\n")
    config = {
        "BACKUP_PG_DATABASE": db,
        "BACKUP_PG_RUN_AS": "",
        "BACKUP_SQLITE": f"wsgi={tmp_path / 'wsgi.sqlite3'},flask={tmp_path / 'flask.sqlite3'}",
        "BACKUP_SECRETS_DIR": str(tmp_path / "secrets"),
        "BACKUP_RELEASE_LINK": str(tmp_path / "no-release"),
        "BACKUP_DJANGO_PATH": os.pathsep.join(sys.path),  # this environment has stacklab_django and Django: the code
    }
    yield LocalTarget(config), db, tmp_path
    for name in psql("postgres", f"SELECT datname FROM pg_database WHERE datname LIKE '{db}%'").split():  # noqa: S608
        psql("postgres", f"DROP DATABASE {name} WITH (FORCE)")


def stray_databases(db: str) -> list[str]:
    return psql("postgres", f"SELECT datname FROM pg_database WHERE datname LIKE '{db}_%'").split()  # noqa: S608


def rewrite(archive: Path, change) -> None:
    """Rebuild an archive with change(files) applied to its members' bytes and the manifest's checksums made to
    match: damage that only the deeper checks (pg_restore, SQLite) can find."""
    with tarfile.open(archive) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    manifest = json.loads(files.pop("manifest.json"))
    change(files, manifest)
    manifest["files"] = {
        n: {"size": len(d), "sha256": __import__("hashlib").sha256(d).hexdigest()} for n, d in files.items()
    }
    with tarfile.open(archive, "w") as tar:
        for name, data in [("manifest.json", json.dumps(manifest).encode()), *files.items()]:
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stacklab_backup", *args], capture_output=True, text=True, check=False,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def cli_env(target: LocalTarget) -> dict[str, str]:
    return {**target.config, "BACKUP_TARGET": "local"}


@needs_postgres
def test_create_then_restore_brings_every_row_back(lab):
    target, db, tmp = lab
    # A WAL page not yet checkpointed: a file copy would lose this message, the backup API keeps it.
    holder = sqlite3.connect(tmp / "wsgi.sqlite3")
    holder.execute("PRAGMA wal_autocheckpoint=0")
    holder.execute("INSERT INTO messages (text) VALUES ('only in the WAL')")
    holder.commit()

    done = run_cli("create", "--dir", str(tmp / "backups"), env=cli_env(target))
    assert done.returncode == 0, done.stderr
    archive = Path(done.stdout.splitlines()[-1])
    assert re.fullmatch(r"stacklab-\d{8}T\d{6}Z\.tar", archive.name)
    assert archive.stat().st_mode & 0o777 == 0o600
    assert list((tmp / "backups").iterdir()) == [archive], "a .partial or staging dir was left behind"
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        assert sorted(tar.getnames()) == [
            "manifest.json",
            "postgres.dump",
            "sqlite/flask.sqlite3",
            "sqlite/wsgi.sqlite3",
        ]
    assert manifest["schema"]["django"] == {"auth": "0012_alter_user_first_name_max_length", "books": "0002_seed_books"}
    assert manifest["with_secrets"] is False and manifest["target"] == "local" and manifest["format"] == 1
    holder.close()

    # Destroy: the table dropped, rows changed, the histories emptied.
    psql(db, "DROP TABLE books; INSERT INTO django_migrations (app, name) VALUES ('x', 'y')")
    for name in ("wsgi", "flask"):
        with sqlite3.connect(tmp / f"{name}.sqlite3") as conn:
            conn.execute("DELETE FROM messages")
        conn.close()

    done = run_cli("restore", str(archive), env=cli_env(target))
    assert done.returncode == 0, done.stderr
    assert "sqlite: wsgi restored" in done.stdout
    assert psql(db, "SELECT isbn, title FROM books ORDER BY isbn").splitlines() == [
        "978-0521725965|Python for Software Design",
        "978-1|Ünïcode ✓",
    ]
    assert psql(db, "SELECT count(*) FROM django_migrations WHERE app = 'x'") == "0"
    assert messages(tmp / "wsgi.sqlite3") == ["hello", "wsgi ✓", "only in the WAL"]
    assert messages(tmp / "flask.sqlite3") == ["flask one"]
    assert stray_databases(db) == [], "the restore left a database behind"
    # The live file stays in WAL mode for the app's workers (the copy came from an in-memory database).
    with sqlite3.connect(tmp / "wsgi.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


@needs_postgres
def test_secrets_only_when_asked(lab):
    target, _, tmp = lab
    plain = create(target, tmp / "backups", with_secrets=False)
    with tarfile.open(plain) as tar:
        assert not [n for n in tar.getnames() if n.startswith("secrets/")]
    secret = create(target, tmp / "secret-backups", with_secrets=True)
    assert secret.stat().st_mode & 0o777 == 0o600
    with tarfile.open(secret) as tar:
        assert tar.extractfile("secrets/django_secret_key").read() == b"s3cret\n"
    (tmp / "secrets" / "django_secret_key").write_text("changed\n")
    with pytest.raises(BackupError, match="without --with-secrets"):
        restore(target, plain, with_secrets=True, say=lambda _: None)
    restore(target, secret, with_secrets=True, say=lambda _: None)
    assert (tmp / "secrets" / "django_secret_key").read_text() == "s3cret\n"


@needs_postgres
def test_a_smaller_host_restores_its_parts_and_names_the_others(lab):
    """An archive of a whole lab restored on a host with the database only (an off-site copy on a Django-only
    lab): the database comes back, the histories it does not keep are named as skipped and left alone."""
    target, db, tmp = lab
    archive = create(target, tmp / "backups", with_secrets=False)
    psql(db, "DELETE FROM books")
    history(tmp / "wsgi.sqlite3", "after the backup")
    database_only = LocalTarget({**target.config, "BACKUP_SQLITE": ""})
    said = []
    restore(database_only, archive, with_secrets=False, say=said.append)
    assert psql(db, "SELECT count(*) FROM books") == "2"
    assert "sqlite: flask, wsgi not kept on this host, skipped" in said, said
    assert messages(tmp / "wsgi.sqlite3")[-1] == "after the backup"


@needs_postgres
def test_a_history_not_made_yet_is_skipped_and_restores_as_it_is(lab):
    """A fresh server: an app has not made its SQLite file before its first message. The backup still runs
    (the rest is in it); its restore leaves that app's live file alone."""
    target, _, tmp = lab
    (tmp / "flask.sqlite3").unlink()
    done = run_cli("create", "--dir", str(tmp / "backups"), env=cli_env(target))
    assert done.returncode == 0, done.stderr
    assert "sqlite: flask has no database yet, skipped" in done.stderr
    archive = Path(done.stdout.splitlines()[-1])
    with tarfile.open(archive) as tar:
        assert "sqlite/flask.sqlite3" not in tar.getnames()
    history(tmp / "flask.sqlite3", "first message, after the backup")
    said = []
    restore(target, archive, with_secrets=False, say=said.append)
    assert "sqlite: flask had no database when backed up, left as it is" in said, said
    assert messages(tmp / "flask.sqlite3") == ["first message, after the backup"]
    assert messages(tmp / "wsgi.sqlite3") == ["hello", "wsgi ✓"]


def flip_byte(archive: Path, name: str) -> None:
    """One byte of that member's data changed in place, as a bad disk sector would."""
    with tarfile.open(archive) as tar:
        member = tar.getmember(name)
    offset = member.offset_data + member.size // 2
    data = bytearray(archive.read_bytes())
    data[offset] ^= 0xFF
    archive.write_bytes(bytes(data))


def damage_dump_data(files, manifest):
    """Bytes flipped in the middle of a big table's compressed data (the chunk lengths around it intact): the
    table of contents still lists, the data does not decompress."""
    dump = bytearray(files["postgres.dump"])
    middle = len(dump) // 2
    for i in range(middle, middle + 16):
        dump[i] ^= 0x5A
    files["postgres.dump"] = bytes(dump)


# damage -> (what it does to an archive, the error it must give)
BAD = {
    "flipped byte": (lambda a: flip_byte(a, "postgres.dump"), "postgres.dump: checksum mismatch"),
    "flipped byte in a copy": (lambda a: flip_byte(a, "sqlite/flask.sqlite3"), "flask.sqlite3: checksum mismatch"),
    "truncated": (lambda a: a.write_bytes(a.read_bytes()[: len(a.read_bytes()) // 2]), "corrupt or truncated"),
    "not a tar": (lambda a: a.write_bytes(b"hello " * 1000), "corrupt or truncated"),
    "foreign tar": (lambda a: rewrite(a, lambda f, m: m.update(format=99)), "format 99, this tool reads 1"),
    "unsafe member": (lambda a: rewrite(a, lambda f, m: f.update({"../x": b"x"})), "unsafe member name '../x'"),
    # verified (its table of contents lists), restored into the new database: pg_restore fails halfway
    "dump fails halfway": (lambda a: rewrite(a, damage_dump_data), "pg_restore failed"),
    "bad sqlite copy": (
        lambda a: rewrite(a, lambda f, m: f.update({"sqlite/wsgi.sqlite3": b"SQLite format 3\0" + bytes(4000)})),
        "wsgi.sqlite3: not a sound SQLite database",
    ),
    "newer schema": (
        lambda a: rewrite(a, lambda f, m: m["schema"]["django"].update(books="0099_from_the_future")),
        r"schema is newer than the installed code \(books.0099_from_the_future unknown here\)",
    ),
    "newer postgres": (
        lambda a: rewrite(a, lambda f, m: m["postgres"].update(server_version_num="990000")),
        "the dump is from PostgreSQL 99, this server is",
    ),
}


@needs_postgres
@pytest.mark.parametrize("damage", BAD, ids=list(BAD))
def test_bad_archive_refused_and_live_data_untouched(lab, damage):
    target, db, tmp = lab
    if damage == "dump fails halfway":  # a table whose data is most of the dump, in one big compressed chunk
        psql(db, "CREATE TABLE noise AS SELECT md5(random()::text) AS t FROM generate_series(1, 20000)")
    archive = create(target, tmp / "backups", with_secrets=False)
    make, error = BAD[damage]
    make(archive)
    psql(db, "INSERT INTO books VALUES ('978-2', 'written after the backup')")
    history(tmp / "wsgi.sqlite3", "after the backup")
    before = (psql(db, "SELECT isbn, title FROM books ORDER BY isbn"), messages(tmp / "wsgi.sqlite3"))

    done = run_cli("restore", str(archive), env=cli_env(target))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("stacklab-backup: error: "), done.stderr
    assert "Traceback" not in done.stderr
    assert re.search(error, done.stderr), done.stderr
    if damage == "dump fails halfway":
        assert "verified" in done.stdout, "refused before the restore: the halfway case was not exercised"
    assert (psql(db, "SELECT isbn, title FROM books ORDER BY isbn"), messages(tmp / "wsgi.sqlite3")) == before
    assert stray_databases(db) == [], "a half-restored database was left behind"


@needs_postgres
def test_full_disk_leaves_no_archive(lab):
    """A file size limit stands in for a full disk (EFBIG where ENOSPC would come): one error line, nothing left."""
    target, _, tmp = lab

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    done = subprocess.run(
        [sys.executable, "-m", "stacklab_backup", "create", "--dir", str(tmp / "backups")],
        capture_output=True, text=True, check=False, env={**os.environ, **cli_env(target)}, preexec_fn=small_files,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("stacklab-backup: error: ") and done.stderr.count("\n") == 1, done.stderr
    assert list((tmp / "backups").iterdir()) == []


@needs_postgres
def test_verify_and_list(lab):
    target, _, tmp = lab
    archive = create(target, tmp / "backups", with_secrets=False)
    done = run_cli("verify", str(archive), env=cli_env(target))
    assert done.returncode == 0 and done.stdout.startswith(f"{archive}: ok (3 files"), done.stdout + done.stderr
    older = archive.with_name("stacklab-20200101T000000Z.tar")
    older.write_bytes(b"junk")
    done = run_cli("list", "--dir", str(tmp / "backups"), env=cli_env(target))
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [archive.name, older.name]
    assert lines[1].split()[1:] == ["4", "2020-01-01T00:00:00Z", "(unreadable)"]


def test_prune_keeps_newest_per_day_and_week(tmp_path):
    names = [
        "stacklab-20240101T010000Z.tar",  # Mon, week 1
        "stacklab-20240101T230000Z.tar",  # same day, newer
        "stacklab-20240103T010000Z.tar",  # Wed, week 1
        "stacklab-20240108T010000Z.tar",  # Mon, week 2
        "stacklab-20240110T010000Z.tar",  # Wed, week 2
        "stacklab-20240111T010000Z.tar",  # Thu, week 2
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "stacklab-20240111T020000Z.tar.partial").write_bytes(b"")
    removed = prune(tmp_path, keep_daily=2, keep_weekly=2)
    kept = sorted(p.name for p in tmp_path.iterdir())
    # days: 11th, 10th; weeks: week 2's newest (11th), week 1's newest (3rd)
    assert kept == [
        "stacklab-20240103T010000Z.tar",
        "stacklab-20240110T010000Z.tar",
        "stacklab-20240111T010000Z.tar",
        "stacklab-20240111T020000Z.tar.partial",
    ]
    assert sorted(p.name for p in removed) == sorted(set(names) - set(kept))


def test_missing_database_config_is_one_line(tmp_path):
    done = run_cli("create", "--dir", str(tmp_path), env={"BACKUP_TARGET": "local", "BACKUP_PG_DATABASE": "x; drop"})
    assert done.returncode == 1
    assert done.stderr == "stacklab-backup: error: BACKUP_PG_DATABASE='x; drop': not a plain lowercase name\n"


@needs_postgres
def test_restore_ends_sessions_left_on_the_live_database(lab):
    """A client still connected (an app not stopped, an operator's psql) cannot block the switch."""
    target, db, tmp = lab
    archive = create(target, tmp / "backups", with_secrets=False)
    client = subprocess.Popen(["psql", "-XAtq", "-d", db, "-c", "SELECT pg_sleep(120)"], stderr=subprocess.DEVNULL)
    try:
        query = f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{db}' AND query LIKE '%pg_sleep%'"  # noqa: S608
        while psql("postgres", query) != "1":
            assert client.poll() is None, "the client ended by itself"
        restore(target, archive, with_secrets=False, say=lambda _: None)
        assert client.wait(timeout=30) != 0, "the client's session was not ended"
    finally:
        client.kill()
    assert psql(db, "SELECT count(*) FROM books") == "2"
    assert stray_databases(db) == []


def test_config_file_then_environment(tmp_path, monkeypatch):
    from stacklab_backup import targets

    config = tmp_path / "backup.env"
    config.write_text(
        "# written by Ansible\nBACKUP_TARGET=local\nBACKUP_DIR='/srv/b'\nBACKUP_SQLITE=wsgi=/a/x.sqlite3\n"
    )
    monkeypatch.setenv("BACKUP_DIR", "/elsewhere")
    target = targets.load(config)
    assert (target.kind, target.backup_dir, target.sqlite) == ("local", Path("/elsewhere"), {"wsgi": "/a/x.sqlite3"})
    config.write_text("BACKUP_SQLITE=wsgi\n")
    with pytest.raises(BackupError, match="not name=/path"):
        targets.load(config)
    with pytest.raises(BackupError, match="no such config file"):
        targets.load(tmp_path / "missing.env")
