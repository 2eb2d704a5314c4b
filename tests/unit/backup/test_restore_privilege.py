"""A restore runs as root on a server with a dump and a release that the deploy user may have made: it reads the
code's migrations without running the release, and restores as the database's owner, so that a crafted dump's
`COPY ... TO PROGRAM` is refused (as the superuser it would be a shell on the database host). Against a real
PostgreSQL whose superuser the tool connects as, as on a server (scripts/test-postgres: TEST_SUPERUSER_URL)."""

import os
import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from stacklab_backup.create import create
from stacklab_backup.restore import restore
from stacklab_backup.targets import BackupError, LocalTarget

SUPERUSER_URL = os.environ.get("TEST_SUPERUSER_URL", "")
OWNER_URL = os.environ.get("TEST_DATABASE_URL", "")


def test_the_code_migrations_are_read_without_running_the_release(tmp_path):
    """A release whose interpreter and .pth files record that they ran: the migrations come from its files."""
    canary = tmp_path / "ran"
    site = tmp_path / "release" / "venvs" / "django" / "lib" / "python3.13" / "site-packages"
    (site / "stacklab_django" / "migrations").mkdir(parents=True)
    (site / "stacklab_django" / "migrations" / "0001_initial.py").write_text("")
    (site / "stacklab_django" / "migrations" / "0002_seed_books.py").write_text("")
    (site / "canary.pth").write_text(f"import pathlib; pathlib.Path({str(canary)!r}).touch()\n")
    python = tmp_path / "release" / "venvs" / "django" / "bin" / "python"
    python.parent.mkdir()
    python.write_text(f'#!/bin/sh\ntouch {canary}\nexec python3 "$@"\n')
    python.chmod(0o755)
    target = LocalTarget({"BACKUP_RELEASE_LINK": str(tmp_path / "release")})
    assert target.code_migrations() == {"stacklab_django": ["0001_initial", "0002_seed_books"]}
    assert not canary.exists(), "reading the migrations ran the release's interpreter"


def libpq_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    return {"PGHOST": parts.hostname, "PGPORT": str(parts.port), "PGUSER": parts.username,
            "PGPASSWORD": unquote(parts.password)}  # fmt: skip


def psql(url: str, query: str, db: str = "postgres") -> str:
    return subprocess.run(
        ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", query],
        capture_output=True, text=True, check=True, env={**os.environ, **libpq_env(url)},
    ).stdout.strip()  # fmt: skip


def superuser_target(db: str, tmp_path: Path) -> LocalTarget:
    """The tool as root runs it on a server: connected as the superuser (here through libpq's PG* variables)."""
    return LocalTarget({
        "BACKUP_PG_DATABASE": db, "BACKUP_PG_RUN_AS": "", "BACKUP_SQLITE": "",
        "BACKUP_SECRETS_DIR": str(tmp_path / "secrets"), "BACKUP_DJANGO_PATH": str(tmp_path / "no-code"),
    })  # fmt: skip


@pytest.mark.skipif(not SUPERUSER_URL, reason="no PostgreSQL: run under scripts/test-postgres")
def test_a_dump_that_runs_a_program_is_restored_without_running_it(tmp_path, monkeypatch):
    # A folder the server's OS user may write in, where the dump's program would leave its mark.
    marks = Path(tempfile.mkdtemp(prefix="stacklab-restore-"))
    marks.chmod(0o777)
    canary = marks / "pwned"
    owner = urlsplit(OWNER_URL).username  # the database's owner: a plain role, as a server's Django has
    db = f"rp_{uuid.uuid4().hex[:12]}"
    psql(SUPERUSER_URL, f"CREATE DATABASE {db} OWNER {owner}")
    # Made by the owner, as a deployed release could: a CHECK that runs a program, but only during a restore.
    psql(OWNER_URL, f"""
        CREATE TABLE django_migrations (id serial PRIMARY KEY, app text, name text, applied timestamptz);
        CREATE TABLE books (isbn text PRIMARY KEY, title text NOT NULL);
        INSERT INTO books VALUES ('978-1', 'kept');
        CREATE FUNCTION pwn() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN
          IF current_setting('application_name') = 'pg_restore' THEN
            EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch {canary}''';
          END IF;
          RETURN true;
        END $$;
        CREATE TABLE notes (id int CHECK (public.pwn()));
        INSERT INTO notes VALUES (1);
    """, db=db)  # noqa: S608  # fmt: skip
    for key, value in libpq_env(SUPERUSER_URL).items():  # the tool connects as the superuser, as on a server
        monkeypatch.setenv(key, value)
    target = superuser_target(db, tmp_path)
    try:
        archive = create(target, tmp_path / "backups", with_secrets=False)
        psql(OWNER_URL, "UPDATE books SET title = 'live'", db=db)
        # pg_restore stops at the COPY into notes: its CHECK's program is refused to the owner.
        with pytest.raises(BackupError, match=r"pg_restore failed \(exit 1\): COPY notes, line 1"):
            restore(target, archive, with_secrets=False, say=lambda _: None)
        assert not canary.exists(), "the dump's program ran during the restore"
        assert psql(SUPERUSER_URL, "SELECT title FROM books", db=db) == "live", "a failed restore changed the data"
        leftovers = psql(SUPERUSER_URL, f"SELECT datname FROM pg_database WHERE datname LIKE '{db}_%'")  # noqa: S608
        assert leftovers == "", "the failed restore left its database"
        assert psql(SUPERUSER_URL, "SELECT rolname FROM pg_roles WHERE rolname LIKE 'stacklab_restore_%'") == ""
        # The same archive without the program restores as the owner: the objects stay the owner's.
        psql(OWNER_URL, "DROP TABLE notes; DROP FUNCTION pwn(); UPDATE books SET title = 'kept'", db=db)
        archive = create(target, tmp_path / "backups-2", with_secrets=False)
        psql(OWNER_URL, "UPDATE books SET title = 'live'", db=db)
        restore(target, archive, with_secrets=False, say=lambda _: None)
        assert psql(SUPERUSER_URL, "SELECT title FROM books", db=db) == "kept"
        tables = psql(SUPERUSER_URL, "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'", db=db)
        assert tables == owner
    finally:
        psql(SUPERUSER_URL, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        for path in marks.iterdir():
            path.unlink()
        marks.rmdir()


@pytest.mark.skipif(not SUPERUSER_URL, reason="no PostgreSQL: run under scripts/test-postgres")
def test_a_restore_refuses_an_owner_that_may_run_programs(tmp_path, monkeypatch):
    role, db = f"rp_{uuid.uuid4().hex[:12]}", f"rp_{uuid.uuid4().hex[:12]}"
    psql(SUPERUSER_URL, f"CREATE ROLE {role} IN ROLE pg_execute_server_program")
    psql(SUPERUSER_URL, f"CREATE DATABASE {db} OWNER {role}")
    psql(SUPERUSER_URL, "CREATE TABLE django_migrations (id serial, app text, name text, applied timestamptz)", db=db)
    for key, value in libpq_env(SUPERUSER_URL).items():
        monkeypatch.setenv(key, value)
    target = superuser_target(db, tmp_path)
    try:
        archive = create(target, tmp_path / "backups", with_secrets=False)
        with pytest.raises(BackupError, match=f"{role}, the owner of {db}, is a superuser or may run programs"):
            restore(target, archive, with_secrets=False, say=lambda _: None)
    finally:
        psql(SUPERUSER_URL, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        psql(SUPERUSER_URL, f"DROP ROLE {role}")
