"""VM only, two servers: the off-site copy (docs/backups.md, "On a server"). The sender's backup timer (its service,
started by hand) copies the new archive to the receiving server over SSH with a key that may only store or list
archives; the receiver keeps it when its checksum matches, and it restores there into the receiver's own lab,
which then shows what a user stored on the sender.

Environment (scripts/test-vm sets it after converging ansible/inventories/local/offsite.yml):
STACKLAB_VM_HOST, STACKLAB_VM_ADDRESS: the sending server (testinfra spec, where its ports answer);
STACKLAB_OFFSITE_HOST, STACKLAB_OFFSITE_ADDRESS: the receiving server (a lab with Django of its own). Without
STACKLAB_OFFSITE_HOST these tests are skipped (the other health runs).
"""

import os
import shlex

import pytest
import requests
import testinfra
from stacklab_testing.web import TIMEOUT, base_url, django_login, nonce, wsgi_post

OFFSITE_DIR = "/var/backups/stacklab-offsite"
KEY = "/etc/stacklab/backup_offsite_key"
KNOWN_HOSTS = "/etc/stacklab/backup_offsite_known_hosts"
MARK = nonce()
ISBN, TITLE = f"off-{MARK}", f"Off-site {MARK}"  # a book stored on the sender
LOCAL_ISBN, LOCAL_TITLE = f"own-{MARK}", f"Receiver own {MARK}"  # only in the receiver's lab before the restore
MESSAGE = f"off-site {MARK}"


@pytest.fixture(scope="module")
def sender(target):
    # One reason per case: a stage allows the first two by design, never the last (stacklab_testing.guard).
    if target.kind != "vm":
        pytest.skip(f"off-site checks: VM-only; the target is {target.kind}")
    if not os.environ.get("STACKLAB_OFFSITE_HOST"):
        pytest.skip("off-site checks: no receiver (STACKLAB_OFFSITE_HOST), only scripts/test-vm's off-site run has one")
    if not target.vm_host:
        pytest.skip("set STACKLAB_VM_HOST and STACKLAB_OFFSITE_HOST (two servers, the first sending off-site)")
    return testinfra.get_host(target.vm_host)


@pytest.fixture(scope="module")
def receiver(sender):
    return testinfra.get_host(os.environ["STACKLAB_OFFSITE_HOST"])


def receiver_url(target, port_key: str) -> str:
    return f"http://{os.environ.get('STACKLAB_OFFSITE_ADDRESS', '127.0.0.6')}:{target.port(port_key)}"


@pytest.fixture(scope="module")
def receiver_django(target, sender) -> str:
    return receiver_url(target, "DJANGO_PORT")


def shell(host, code: str) -> str:
    """Python in Django's shell of the host's current release; its last output line."""
    return host.check_output(f"stacklab-release manage shell -c {shlex.quote(code)}").splitlines()[-1]


def add_book(host, isbn: str, title: str) -> None:
    shell(
        host,
        "from stacklab_django.books.models import Book; "
        f"print(Book.objects.create(isbn={isbn!r}, title={title!r}, author='A. Offsite', publisher='stacklab').pk)",
    )


def has_book(target, django: str, isbn: str, title: str) -> bool:
    """Whether the lab shows that book to a user logged in now (jon: the same generated password on both labs)."""
    jon = django_login(django, "jon", target.secret("django_demo_password_jon"))
    page = jon.get(f"{django}/books/detail/{isbn}", allow_redirects=False, timeout=TIMEOUT)
    return page.status_code == 200 and title in page.text


def offsite_ssh(sender, command: str):
    """Run `command` with the sender's off-site key, as its backup service does (address and port: the pinned
    host key's line)."""
    (address,) = sender.check_output(f"cut -d' ' -f1 {KNOWN_HOSTS}").split()
    host, _, port = address.removeprefix("[").partition("]:")
    return sender.run(
        f"ssh -F none -i {KEY} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes "
        f"-o UserKnownHostsFile={KNOWN_HOSTS} -p {port or 22} stacklab-offsite@{host} {shlex.quote(command)}"
    )


@pytest.fixture(scope="module")
def copied(target, sender, receiver, receiver_django):
    """Data stored on the sender (a book, a WSGI message), a book on the receiver only, then the sender's backup
    service run: (the archive's path on the receiver, its SHA-256 on the sender)."""
    add_book(sender, ISBN, TITLE)
    wsgi_post(requests.Session(), base_url(target, "WSGI_PORT"), MESSAGE)
    add_book(receiver, LOCAL_ISBN, LOCAL_TITLE)
    assert has_book(target, receiver_django, LOCAL_ISBN, LOCAL_TITLE), "the receiver's lab does not show its own book"
    assert not has_book(target, receiver_django, ISBN, TITLE), "the receiver has the sender's book already"

    started = sender.run("systemctl start stacklab-backup.service")  # oneshot: returns when the copy is done
    assert started.rc == 0, sender.run("journalctl -u stacklab-backup -n 30 --no-pager").stdout
    newest = sender.check_output("stacklab-backup list").splitlines()[0].split()[0]
    checksum = sender.check_output(f"sha256sum /var/backups/stacklab/{newest}").split()[0]
    # The receiving side files copies under the sending host's inventory name (the key's comment).
    name = sender.check_output(f"cat {KEY}.pub").split()[-1].removeprefix("stacklab-backup@")
    return f"{OFFSITE_DIR}/{name}/{newest}", checksum


def test_the_timer_service_copies_the_new_archive_to_the_receiver(receiver, copied):
    path, checksum = copied
    archive = receiver.file(path)
    assert archive.exists, f"no {path} on the receiver"
    assert (archive.user, archive.mode) == ("stacklab-offsite", 0o600)
    assert receiver.file(OFFSITE_DIR).mode == 0o700
    assert receiver.check_output(f"sha256sum {path}").split()[0] == checksum


def test_the_offsite_key_may_only_store_and_list(sender, copied):
    path, _ = copied
    name = path.rsplit("/", 1)[1]
    listed = offsite_ssh(sender, "list")
    assert listed.rc == 0 and name in listed.stdout.split(), listed.stderr
    shell_access = offsite_ssh(sender, "id")
    assert shell_access.rc != 0 and "uid=" not in shell_access.stdout
    assert "only 'put NAME SHA256' and 'list'" in shell_access.stderr, shell_access.stderr
    escape = offsite_ssh(sender, f"put ../{name} {'0' * 64}")
    assert escape.rc != 0 and "not an archive name" in escape.stderr, escape.stderr
    # A copy whose bytes do not match its checksum is not kept.
    bogus = "stacklab-20000101T000000Z.tar"
    mismatch = offsite_ssh(sender, f"put {bogus} {'0' * 64}")  # stdin: nothing
    assert mismatch.rc != 0 and "checksum mismatch" in mismatch.stderr, mismatch.stderr
    assert bogus not in offsite_ssh(sender, "list").stdout.split()


def test_the_copy_restores_into_the_receivers_lab(target, receiver, receiver_django, copied):
    path, _ = copied
    settings = dict(
        line.split("=", 1) for line in receiver.file("/etc/stacklab/backup.env").content_string.splitlines()
        if "=" in line and line[0] != "#"
    )  # fmt: skip
    restored = receiver.run(f"stacklab-backup restore {path}")
    assert restored.rc == 0, restored.stdout + restored.stderr
    assert "postgres: " in restored.stdout, restored.stdout

    assert has_book(target, receiver_django, ISBN, TITLE), "the sender's book is not in the receiver's lab"
    assert not has_book(target, receiver_django, LOCAL_ISBN, LOCAL_TITLE), "the receiver's database was not replaced"

    if "wsgi=" in settings["BACKUP_SQLITE"]:  # the receiver runs the WSGI echo too: its history is the sender's
        assert MESSAGE in requests.get(f"{receiver_url(target, 'WSGI_PORT')}/history", timeout=TIMEOUT).text
    else:  # not kept on the receiver: the copy in the archive holds the message
        skipped = [line for line in restored.stdout.splitlines() if line.endswith("not kept on this host, skipped")]
        assert skipped and "wsgi" in skipped[0], restored.stdout
        dump = receiver.check_output(
            "python3 -c "
            + shlex.quote(
                "import sqlite3, sys, tarfile, tempfile\n"
                "with tempfile.TemporaryDirectory() as tmp, tarfile.open(sys.argv[1]) as tar:\n"
                "    tar.extract('sqlite/wsgi.sqlite3', tmp, filter='data')\n"
                "    print('\\n'.join(sqlite3.connect(tmp + '/sqlite/wsgi.sqlite3').iterdump()))\n"
            )
            + f" {path}"
        )
        assert MESSAGE in dump
