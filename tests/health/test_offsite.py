"""VM only, two servers: the off-site copy (docs/backups.md, "On a server"). The sender's backup timer (its service,
started by hand) copies the new archive, sealed (encrypted to the operator's age key, signed with the sender's
signing key), to the receiving server over SSH with a key that may only store or list copies; the receiver keeps
it when its signature verifies, stores ciphertext only, never replaces a copy nor takes a future-dated one, and no
put evicts its oldest copy; with the operator's key (from the inventory's secrets, brought for the restore only)
it restores there into the receiver's own lab, which then shows what a user stored on the sender.

Environment (scripts/test-vm sets it after converging ansible/inventories/local/offsite.yml):
STACKLAB_VM_HOST, STACKLAB_VM_ADDRESS: the sending server (testinfra spec, where its ports answer);
STACKLAB_OFFSITE_HOST, STACKLAB_OFFSITE_ADDRESS: the receiving server (a lab with Django of its own). Without
STACKLAB_OFFSITE_HOST these tests are skipped (the other health runs).
"""

import os
import shlex
import subprocess
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import testinfra
from stacklab_testing.web import TIMEOUT, base_url, django_login, nonce, wsgi_post

OFFSITE_DIR = "/var/backups/stacklab-offsite"
KEY = "/etc/stacklab/backup_offsite_key"
KNOWN_HOSTS = "/etc/stacklab/backup_offsite_known_hosts"
SIGNERS_DIR = "/etc/stacklab-offsite"
SHARED = "-o ControlMaster=auto -o ControlPath=$w/ssh -o ControlPersist=60 "  # in a folder $w of the sender
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


@contextmanager
def operator_identity(target):
    """The operator's age identity (the inventory's secrets: made on this machine, never sent by Ansible) on the
    receiver for one restore, in root's tmpfs, through ssh's stdin (never on a command line), removed after."""
    spec = urlsplit(os.environ["STACKLAB_OFFSITE_HOST"])
    ssh = ["ssh", "-F", parse_qs(spec.query)["ssh_config"][0], spec.hostname]
    path = "/run/stacklab-offsite-identity"
    with open(target.secrets_dir / "backup_offsite_identity", "rb") as identity:
        subprocess.run([*ssh, f"sudo sh -c 'umask 077; cat >{path}'"], stdin=identity, check=True)
    try:
        yield path
    finally:
        subprocess.run([*ssh, f"sudo rm -f {path}"], check=True)


def offsite_ssh(sender, command: str):
    """Run `command` with the sender's off-site key, as its backup service does (address and port: the pinned
    host key's line)."""
    return sender.run(f"{offsite_command(sender)} {shlex.quote(command)}")


def signed_put(sender, name: str, data: str) -> str:
    """A shell loop's body on the sender that puts data (a shell word) as name, sealed and signed as the sender
    does: what a compromised sender can send."""
    return (
        f"{data} >$w/p && rm -f $w/p.age $w/p.age.sig"
        " && age -R /etc/stacklab/backup_offsite_recipients -o $w/p.age $w/p"
        f" && ssh-keygen -Y sign -q -f /etc/stacklab/backup_signing_key -n stacklab-backup $w/p.age"
        f" && {offsite_command(sender, SHARED)} \"put {name} $(grep -v -- ----- $w/p.age.sig | tr -d '\\n')\" <$w/p.age"
    )


def offsite_command(sender, options: str = "") -> str:
    """The sender's ssh command line to the receiver, as its backup service runs it, less the remote command."""
    (address,) = sender.check_output(f"cut -d' ' -f1 {KNOWN_HOSTS}").split()
    host, _, port = address.removeprefix("[").partition("]:")
    return (
        f"ssh -F none -i {KEY} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes "
        f"-o UserKnownHostsFile={KNOWN_HOSTS} {options}-p {port or 22} stacklab-offsite@{host}"
    )


@pytest.fixture(scope="module")
def copied(target, sender, receiver, receiver_django):
    """Data stored on the sender (a book, a WSGI message), a book on the receiver only, then the sender's backup
    service run: (the sealed copy's path on the receiver, the sender's name on the receiver)."""
    add_book(sender, ISBN, TITLE)
    wsgi_post(requests.Session(), base_url(target, "WSGI_PORT"), MESSAGE)
    add_book(receiver, LOCAL_ISBN, LOCAL_TITLE)
    assert has_book(target, receiver_django, LOCAL_ISBN, LOCAL_TITLE), "the receiver's lab does not show its own book"
    assert not has_book(target, receiver_django, ISBN, TITLE), "the receiver has the sender's book already"

    started = sender.run("systemctl start stacklab-backup.service")  # oneshot: returns when the copy is done
    assert started.rc == 0, sender.run("journalctl -u stacklab-backup -n 30 --no-pager").stdout
    newest = sender.check_output("stacklab-backup list").splitlines()[0].split()[0]
    # The receiving side files copies under the sending host's inventory name (the key's comment).
    name = sender.check_output(f"cat {KEY}.pub").split()[-1].removeprefix("stacklab-backup@")
    return f"{OFFSITE_DIR}/{name}/{newest}.age", name


def test_the_timer_service_copies_the_new_archive_sealed_to_the_receiver(receiver, copied):
    path, _ = copied
    archive = receiver.file(path)
    assert archive.exists, f"no {path} on the receiver"
    assert (archive.user, archive.mode) == ("stacklab-offsite", 0o600)
    assert receiver.file(f"{path}.sig").exists
    assert receiver.file(OFFSITE_DIR).mode == 0o700
    # Ciphertext: age's header, not a tar, none of the lab's table names nor SQLite's or the manifest's marks.
    assert receiver.check_output(f"head -c 21 {path}") == "age-encryption.org/v1"
    assert receiver.run(f"tar -tf {path}").rc != 0
    for plain in ("books_book", "django_migrations", "auth_user", "manifest.json", "SQLite format 3"):
        assert receiver.run(f"grep -qaF {shlex.quote(plain)} {path}").rc == 1, f"{plain!r} readable in the copy"


def test_the_offsite_key_may_only_store_and_list(sender, copied):
    path, _ = copied
    name = path.rsplit("/", 1)[1]
    listed = offsite_ssh(sender, "list")
    assert listed.rc == 0 and name in listed.stdout.split(), listed.stderr
    shell_access = offsite_ssh(sender, "id")
    assert shell_access.rc != 0 and "uid=" not in shell_access.stdout
    assert "only 'put NAME SIGNATURE' and 'list'" in shell_access.stderr, shell_access.stderr
    escape = offsite_ssh(sender, f"put ../{name} {'A' * 64}")
    assert escape.rc != 0 and "not an archive name" in escape.stderr, escape.stderr
    # A copy its signature is not for is not kept.
    bogus = "stacklab-20000101T000000Z.tar.age"
    unsigned = offsite_ssh(sender, f"put {bogus} {'A' * 64}")  # stdin: nothing
    assert unsigned.rc != 0 and "bad signature" in unsigned.stderr, unsigned.stderr
    assert bogus not in offsite_ssh(sender, "list").stdout.split()


def test_the_copy_restores_into_the_receivers_lab(target, receiver, receiver_django, copied):
    settings = dict(
        line.split("=", 1) for line in receiver.file("/etc/stacklab/backup.env").content_string.splitlines()
        if "=" in line and line[0] != "#"
    )  # fmt: skip
    path, sender_name = copied
    signer = f"{SIGNERS_DIR}/{sender_name}.pub"
    refused = receiver.run(f"stacklab-backup restore {path}")  # sealed: nothing without the operator's key
    assert refused.rc == 1 and "give --identity" in refused.stderr, refused.stderr
    with operator_identity(target) as identity:
        restored = receiver.run(f"stacklab-backup restore {path} --identity {identity} --signer {signer}")
    assert restored.rc == 0, restored.stdout + restored.stderr
    assert "postgres: " in restored.stdout, restored.stdout

    assert has_book(target, receiver_django, ISBN, TITLE), "the sender's book is not in the receiver's lab"
    assert not has_book(target, receiver_django, LOCAL_ISBN, LOCAL_TITLE), "the receiver's database was not replaced"

    if "wsgi=" in settings["BACKUP_SQLITE"]:  # the receiver runs the WSGI echo too: its history is the sender's
        assert MESSAGE in requests.get(f"{receiver_url(target, 'WSGI_PORT')}/history", timeout=TIMEOUT).text
    else:  # not kept on the receiver: the copy in the archive holds the message
        skipped = [line for line in restored.stdout.splitlines() if line.endswith("not kept on this host, skipped")]
        assert skipped and "wsgi" in skipped[0], restored.stdout
        with operator_identity(target) as identity:
            dump = receiver.check_output(
                f"age -d -i {identity} {path} | python3 -c "
                + shlex.quote(
                    "import sqlite3, sys, tarfile, tempfile\n"
                    "with tempfile.TemporaryDirectory() as tmp,"
                    " tarfile.open(fileobj=sys.stdin.buffer, mode='r|') as tar:\n"
                    "    wanted = (m for m in tar if m.name == 'sqlite/wsgi.sqlite3')\n"
                    "    tar.extractall(tmp, members=wanted, filter='data')\n"
                    "    print('\\n'.join(sqlite3.connect(tmp + '/sqlite/wsgi.sqlite3').iterdump()))\n"
                )
            )
        assert MESSAGE in dump


@pytest.mark.timeout(600)  # 18 puts over SSH, each sealed and signed: 3 min on a loaded 2-core machine
def test_no_put_replaces_or_evicts_the_oldest_copy(sender, receiver, copied):
    """Last (it leaves junk behind): as a compromised sender, a re-put of a stored name, a future-dated name, 3
    unsigned junk puts (refused; the unit tests send 15) and 15 validly signed ones (kept, and pruned by receive
    time); the oldest copy is still there, unchanged."""
    path, _ = copied
    directory = path.rsplit("/", 1)[0]
    oldest = offsite_ssh(sender, "list").stdout.split()[0]
    before = receiver.check_output(f"sha256sum {directory}/{oldest}").split()[0]
    # One SSH connection for the loops' puts (SHARED): each is still a session of its own, under the forced command.
    close = offsite_command(sender, f"{SHARED}-O exit ")
    work = f"w=$(mktemp -d) && trap '{close} 2>/dev/null; rm -rf $w' EXIT"
    again = sender.run(f"{work} && {signed_put(sender, oldest, 'echo replaced')}")
    assert again.rc != 0 and "already stored" in again.stderr, again.stderr
    future = sender.run(f"{work} && {signed_put(sender, 'stacklab-29991231T000000Z.tar.age', 'echo future')}")
    assert future.rc != 0 and "dated in the future" in future.stderr, future.stderr
    unsigned_put = f'{offsite_command(sender, SHARED)} "put stacklab-20260101T0000${{i}}Z.tar.age $(cat $w/s)"'
    junk = sender.run(
        f"{work} && head -c 64 /dev/urandom | base64 -w0 >$w/s && for i in $(seq 10 12); do "
        f"head -c 1000 /dev/urandom | {unsigned_put} 2>&1 | grep -q 'bad signature' || exit 1; done"
    )
    assert junk.rc == 0, junk.stdout + junk.stderr
    junk_put = signed_put(sender, "stacklab-20260102T0000${i}Z.tar.age", "head -c 1000 /dev/urandom")
    signed = sender.run(f"{work} && for i in $(seq 10 24); do {junk_put} || exit 1; done")
    assert signed.rc == 0, signed.stdout + signed.stderr
    listed = offsite_ssh(sender, "list").stdout.split()
    assert listed[0] == oldest, listed
    assert receiver.check_output(f"sha256sum {directory}/{oldest}").split()[0] == before
    assert "stacklab-29991231T000000Z.tar.age" not in listed
