"""`fab backup`, `backups`, `restore`, and the backup `fab deploy` takes before it migrates, against the stand-in
(scripts/test-deploy). Data goes in through the apps' own forms (the WSGI and Flask histories) and Django's ORM
(a user and a book), is backed up, destroyed, restored, and read back by content; a corrupt archive is refused
with the live data untouched; a migration that deletes every book is undone with the pre-deploy backup.
"""

import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from stacklab_testing.deploy import REPO, TARGET, deployed_name
from stacklab_testing.web import TIMEOUT, nonce, post_message

pytestmark = pytest.mark.timeout(900)

MARK = nonce()
SQLITE_UNITS = "stacklab-wsgi stacklab-flask"
SQLITE_FILES = "/var/lib/stacklab-wsgi/history.sqlite3* /var/lib/stacklab-flask/history.sqlite3*"

LOSING_MIGRATION = '''"""tests/deploy: deletes every book, and succeeds: only the pre-deploy backup brings them back."""

from django.db import migrations


def delete_books(apps, schema_editor):
    apps.get_model("books", "Book").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("books", "{latest}")]
    operations = [migrations.RunPython(delete_books, migrations.RunPython.noop)]
'''


def shell(on_host, code: str) -> str:
    """Run Python in Django's shell of the current release on the host; its last output line."""
    return on_host(f"sudo stacklab-release manage shell -c {shlex.quote(code)}").strip().splitlines()[-1]


def django_items(on_host) -> str:
    code = (
        "from django.contrib.auth.models import User; from stacklab_django.books.models import Book; "
        f"u = User.objects.filter(username='bk{MARK}').first(); b = Book.objects.filter(isbn='bk-{MARK}').first(); "
        "print(u and u.email, b and b.title, Book.objects.count())"
    )
    return shell(on_host, code)


def histories() -> str:
    """The WSGI and Flask history pages, as anyone reads them."""
    wsgi = requests.get(f"http://{TARGET}:{port('WSGI_PORT')}/history", timeout=TIMEOUT).text
    flask = requests.get(f"http://{TARGET}:{port('FLASK_PORT')}/messages", timeout=TIMEOUT).text
    return f"wsgi: {MARK in wsgi and f'wsgi {MARK}' in wsgi} flask: {f'flask {MARK}' in flask}"


def port(key: str) -> int:
    from stacklab_core import ports

    return int(ports.load(REPO / "stack.env")[key])


def destroy(on_host) -> None:
    """Lose the data: the user and the book deleted, the SQLite histories removed."""
    shell(
        on_host,
        "from django.contrib.auth.models import User; from stacklab_django.books.models import Book; "
        f"User.objects.filter(username='bk{MARK}').delete(); Book.objects.filter(isbn='bk-{MARK}').delete()",
    )
    remove = f"sudo sh -c 'rm -f {SQLITE_FILES}'"
    on_host(f"sudo systemctl stop {SQLITE_UNITS} && {remove} && sudo systemctl start {SQLITE_UNITS}")


@dataclass(frozen=True)
class Backup:
    items: str  # django_items() and histories() when it was taken
    histories: str
    archive: Path  # where `fab backup` downloaded it


@pytest.fixture(scope="module")
def backup(fab, on_host) -> Backup:
    """Data put in through Django's ORM and the apps' forms, then `fab backup`: taken once, for the test that checks
    it and for the restore tests after it."""
    shell(
        on_host,
        "from django.contrib.auth.models import User; from stacklab_django.books.models import Book; "
        f"User.objects.create_user('bk{MARK}', 'bk{MARK}@example.org', 'pw-{MARK}'); "
        f"Book.objects.create(isbn='bk-{MARK}', title='Backed up {MARK}', author='T', publisher='P')",
    )
    post_message(requests.Session(), f"http://{TARGET}:{port('WSGI_PORT')}/history", f"wsgi {MARK}")
    post_message(requests.Session(), f"http://{TARGET}:{port('FLASK_PORT')}/messages", f"flask {MARK}")
    items, seen = django_items(on_host), histories()
    result = fab("backup")
    assert result.returncode == 0, result.stderr
    return Backup(items, seen, Path(result.stdout.strip().splitlines()[-1]))


def test_backup_downloads_an_archive_of_the_data(fab, backup):
    assert backup.items.startswith(f"bk{MARK}@example.org Backed up {MARK} "), backup.items
    assert backup.histories == "wsgi: True flask: True"
    local = backup.archive
    assert local.parent == REPO / "backups" and re.fullmatch(r"stacklab-\d{8}T\d{6}Z\.tar", local.name)
    assert local.stat().st_mode & 0o777 == 0o600
    assert local.name in fab("backups").stdout


def test_restore_brings_every_item_back(fab, on_host, backup):
    destroy(on_host)
    assert django_items(on_host).startswith("None None ")
    assert histories() == "wsgi: False flask: False"
    result = fab("restore", str(backup.archive))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every check passes" in result.stdout
    assert django_items(on_host) == backup.items
    assert histories() == backup.histories


def test_corrupt_archive_is_refused_and_changes_nothing(fab, on_host, tmp_path, backup):
    data = bytearray(backup.archive.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    corrupt = tmp_path / backup.archive.name
    corrupt.write_bytes(bytes(data))
    shell(
        on_host,
        "from stacklab_django.books.models import Book; "
        f"Book.objects.filter(isbn='bk-{MARK}').update(title='Live {MARK}')",
    )
    result = fab("restore", str(corrupt))
    assert result.returncode == 1
    assert "stacklab-backup: error:" in result.stderr and "Traceback" not in result.stderr
    assert f"Live {MARK}" in django_items(on_host), "a refused restore changed the live database"
    assert histories() == backup.histories


def test_migration_undone_with_the_pre_deploy_backup(fab, source, on_host):
    before = django_items(on_host)
    assert int(before.split()[-1]) > 0, "no books to lose"
    path, _marker = source()
    folder = path / "services/django/src/stacklab_django/books/migrations"
    latest = max(p.stem for p in folder.glob("[0-9][0-9][0-9][0-9]_*.py"))
    (folder / "9998_tests_deploy_losing.py").write_text(LOSING_MIGRATION.format(latest=latest))
    git = ["git", "-C", str(path), "-c", "user.name=tests", "-c", "user.email=tests@localhost"]
    subprocess.run([*git, "add", "--all"], check=True)
    subprocess.run([*git, "commit", "--quiet", "-m", "tests/deploy: a migration that loses every book"], check=True)

    deployed = fab("deploy", source=path)
    assert deployed.returncode == 0, deployed.stderr
    deployed_name(deployed.stdout)
    match = re.search(r"backup before migrating: (/\S+/(stacklab-\S+\.tar))", deployed.stdout)
    assert match, f"fab deploy did not say where its backup is:\n{deployed.stdout}"
    assert django_items(on_host).endswith(" 0"), "the migration did not delete the books"

    assert fab("rollback").returncode == 0
    restored = fab("restore", match.group(2))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert django_items(on_host) == before
