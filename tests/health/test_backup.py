"""Compose only, disruptive: `./run backup` then `./run restore` bring back what users stored after the data is
destroyed (the Django database dropped, all three data volumes removed), and a damaged archive is refused with the
live data untouched (docs/backups.md).

The data is made as users make it: a new Django user, jon's cart (a session in PostgreSQL), a book added through
the admin, a message in each history. Afterwards each item is shown back by its content, not by a status code.
"""

import os
import subprocess
import tarfile
from pathlib import Path

import pytest
import requests
from stacklab_testing.target import ROOT
from stacklab_testing.web import TIMEOUT, base_url, django_login, hidden, nonce, post_message, wsgi_post

pytestmark = [pytest.mark.container, pytest.mark.disruptive]

ISBN = "978-0521725965"  # Python for Software Design, one of the seeded books


def run(*args: str) -> subprocess.CompletedProcess:
    """A task of ./run on this project (COMPOSE_PROJECT_NAME, if set, reaches docker compose through it)."""
    return subprocess.run(["./run", *args], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def admin_add_book(django: str, admin: requests.Session, isbn: str, title: str) -> None:
    form = admin.get(f"{django}/admin/books/book/add/", timeout=TIMEOUT)
    assert form.status_code == 200, form.text[:300]
    reply = admin.post(
        f"{django}/admin/books/book/add/",
        data={
            "csrfmiddlewaretoken": hidden(form.text, "csrfmiddlewaretoken"),
            "isbn": isbn, "title": title, "author": "A. Backup", "publisher": "stacklab", "_save": "Save",
        },
        allow_redirects=False, timeout=TIMEOUT,
    )  # fmt: skip
    assert reply.status_code == 302, f"the admin did not save the book: {reply.text[:500]!r}"


class Lab:
    """What a user stored, and how to look at each item again."""

    def __init__(self, target):
        self.django, self.wsgi, self.flask = (base_url(target, k) for k in ("DJANGO_PORT", "WSGI_PORT", "FLASK_PORT"))
        self.mark = nonce()
        self.username, self.password = f"backup-{self.mark}", f"pw-{nonce()}-{nonce()}-{nonce()}"
        self.isbn, self.title = f"979-{self.mark}", f"Restored {self.mark}"
        self.message = f"backed up {self.mark}"

    def missing(self, jon: requests.Session) -> list[str]:
        """The items that are not there (as a user sees them): [] when all are."""
        gone = []
        # A copy of jon's cookies: Django drops a cookie whose session is gone, and the check after the destroy
        # must not log jon out of the session the restore brings back.
        jon, logged_in = requests.Session(), jon
        jon.cookies.update(logged_in.cookies)
        cart = jon.get(f"{self.django}/books/cart/", allow_redirects=False, timeout=TIMEOUT)
        if cart.status_code != 200 or "Python for Software Design" not in cart.text:
            gone.append("jon's session and cart")
        login = requests.Session()
        form = login.get(f"{self.django}/accounts/login/", timeout=TIMEOUT).text
        reply = login.post(
            f"{self.django}/accounts/login/",
            data={"csrfmiddlewaretoken": hidden(form, "csrfmiddlewaretoken"), "username": self.username,
                  "password": self.password},
            allow_redirects=False, timeout=TIMEOUT,
        )  # fmt: skip
        if reply.status_code != 302:
            gone.append("the new user")
        book = jon.get(f"{self.django}/books/detail/{self.isbn}", allow_redirects=False, timeout=TIMEOUT)  # login only
        if book.status_code != 200 or self.title not in book.text:
            gone.append("the book added in the admin")
        if self.message not in requests.get(f"{self.wsgi}/history", timeout=TIMEOUT).text:
            gone.append("the WSGI message")
        if self.message not in requests.get(f"{self.flask}/messages", timeout=TIMEOUT).text:
            gone.append("the Flask message")
        return gone


def test_backup_destroy_restore_and_a_damaged_archive_refused(target, compose, tmp_path):
    lab = Lab(target)
    compose(
        "exec", "-T", "django", "stacklab-django-manage", "shell", "-c",
        "from django.contrib.auth.models import User; "
        f"User.objects.create_user({lab.username!r}, password={lab.password!r})",
    )  # fmt: skip
    jon = django_login(lab.django, "jon", target.secret("django_demo_password_jon"))
    books = jon.get(f"{lab.django}/books/", timeout=TIMEOUT).text
    jon.post(f"{lab.django}/books/cart/add/{ISBN}", data={"csrfmiddlewaretoken": hidden(books, "csrfmiddlewaretoken")})
    admin_add_book(lab.django, django_login(lab.django, "admin", target.secret("django_superuser_password")),
                   lab.isbn, lab.title)  # fmt: skip
    wsgi_post(requests.Session(), lab.wsgi, lab.message)
    post_message(requests.Session(), f"{lab.flask}/messages", lab.message)
    assert lab.missing(jon) == [], "not stored to begin with"

    made = run("backup", str(tmp_path))
    assert made.returncode == 0, made.stderr
    archive = Path(made.stdout.splitlines()[-1])
    assert archive.parent == tmp_path and archive.stat().st_mode & 0o777 == 0o600
    listed = run("backups", str(tmp_path))
    assert listed.stdout.split()[0] == archive.name, listed.stdout

    # Destroy: the database dropped, then every data volume removed; the lab comes back empty (seed data only).
    compose("exec", "-T", "postgres", "dropdb", "--host=/tmp", "--username=postgres", "--force", "stacklab")
    compose("rm", "--stop", "--force", "django", "postgres", "wsgi", "flask")
    project = os.environ.get("COMPOSE_PROJECT_NAME", target.project)
    for volume in ("django-db", "wsgi-data", "flask-data"):
        subprocess.run(["docker", "volume", "rm", f"{project}_{volume}"], capture_output=True, check=True)
    # New app containers have new addresses, and each nginx front resolves its app's name when it starts.
    compose("up", "--detach", "--wait", "--wait-timeout", "300", "postgres", "django", "wsgi", "flask")
    compose("restart", "django-nginx", "wsgi-nginx", "flask-nginx")
    compose("up", "--detach", "--wait", "--wait-timeout", "300")
    assert len(lab.missing(jon)) == 5, "the data was not destroyed: the test would prove nothing"

    restored = run("restore", str(archive))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "postgres: " in restored.stdout and "sqlite: wsgi restored" in restored.stdout
    assert lab.missing(jon) == [], f"not restored:\n{restored.stdout}"

    # A damaged copy (one byte in the middle of the dump changed) is refused, and what is live stays as it is.
    later = f"after the restore {lab.mark}"
    wsgi_post(requests.Session(), lab.wsgi, later)
    damaged = tmp_path / "damaged" / archive.name
    damaged.parent.mkdir()
    with tarfile.open(archive) as tar:
        dump = tar.getmember("postgres.dump")
    data = bytearray(archive.read_bytes())
    data[dump.offset_data + dump.size // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    refused = run("restore", str(damaged))
    assert refused.returncode == 1
    assert refused.stderr.startswith("stacklab-backup: error: ") and "Traceback" not in refused.stderr, refused.stderr
    assert lab.missing(jon) == []
    assert later in requests.get(f"{lab.wsgi}/history", timeout=TIMEOUT).text
