"""Off-site copies (docs/backups.md, "Off-site copies"), with the real tools: an archive sealed by
`stacklab-backup seal` (age, ssh-keygen -Y sign) is ciphertext, verifies and restores with the operator's key and
the signer's public key, and a forged copy (a recomputed manifest, encrypted to the same public recipient) does
not. The receiving side's forced command (ansible/roles/backup/templates/stacklab-backup-receive.j2) runs here on a
temporary folder: it refuses overwrites, future dates and unsigned copies, and prunes by its own receive time, so
that no put evicts the oldest real copy. No PostgreSQL: the archives hold SQLite histories only."""

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import jinja2
import pytest
from stacklab_backup.create import create
from stacklab_backup.targets import LocalTarget

RECEIVE = Path(__file__).parents[3] / "ansible/roles/backup/templates/stacklab-backup-receive.j2"
TABLE = "offsite_secret_table"  # a name that must not show in a sealed copy
DAY = 86400


def keygen(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """The operator's age identity and its recipient, the server's signing key, and an attacker's."""
    tmp = tmp_path_factory.mktemp("keys")
    subprocess.run(["age-keygen", "-o", str(tmp / "identity")], check=True, capture_output=True)
    recipient = subprocess.run(["age-keygen", "-y", str(tmp / "identity")], check=True, capture_output=True, text=True)
    (tmp / "recipients").write_text(recipient.stdout)
    return {
        "identity": tmp / "identity",
        "recipients": tmp / "recipients",
        "signing": keygen(tmp / "signing"),
        "signer": tmp / "signing.pub",
        "attacker": keygen(tmp / "attacker"),
    }


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stacklab_backup", *args], capture_output=True, text=True, check=False,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.fixture
def lab(tmp_path):
    """A host with one SQLite history (no PostgreSQL); its settings for the command line; an archive of it."""
    db = tmp_path / "wsgi.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute(f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, text TEXT)")
        conn.execute(f"INSERT INTO {TABLE} (text) VALUES ('the real row')")  # noqa: S608 (a constant)
    conn.close()
    config = {
        "BACKUP_PG": "0",
        "BACKUP_SQLITE": f"wsgi={db}",
        "BACKUP_SECRETS_DIR": str(tmp_path / "secrets"),
        "BACKUP_RELEASE_LINK": str(tmp_path / "no-release"),
    }
    archive = create(LocalTarget(config), tmp_path / "backups", with_secrets=False)
    return {**config, "BACKUP_TARGET": "local"}, archive, db


def seal(archive: Path, keys: dict, out: Path) -> Path:
    out.mkdir(exist_ok=True)
    done = cli("seal", str(archive), "--recipients", str(keys["recipients"]), "--signing-key", str(keys["signing"]),
               "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.splitlines()[-1])


def opening(keys: dict) -> list[str]:
    return ["--identity", str(keys["identity"]), "--signer", str(keys["signer"])]


def forge(archive: Path, into: Path) -> Path:
    """What a tamperer holding only public keys can make: the archive with its SQLite copy replaced and the
    manifest's checksums recomputed, as a plain tar named like the original."""
    with tarfile.open(archive) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    manifest = json.loads(files.pop("manifest.json"))
    evil = into / "evil.sqlite3"
    with sqlite3.connect(evil) as conn:
        conn.execute(f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, text TEXT)")
        conn.execute(f"INSERT INTO {TABLE} (text) VALUES ('a forged row')")  # noqa: S608 (a constant)
    conn.close()
    files["sqlite/wsgi.sqlite3"] = evil.read_bytes()
    manifest["files"] = {n: {"size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for n, d in files.items()}
    forged = into / archive.name
    with tarfile.open(forged, "w") as tar:
        for name, data in [("manifest.json", json.dumps(manifest).encode()), *files.items()]:
            member = tarfile.TarInfo(name)
            member.size, member.mode = len(data), 0o600
            tar.addfile(member, io.BytesIO(data))
    return forged


def test_a_sealed_copy_is_ciphertext_and_restores_with_the_operators_key(lab, keys, tmp_path):
    env, archive, db = lab
    sealed = seal(archive, keys, tmp_path / "out")
    data = sealed.read_bytes()
    assert sealed.name == f"{archive.name}.age" and data.startswith(b"age-encryption.org/v1\n")
    assert not tarfile.is_tarfile(sealed)
    for plain in (TABLE.encode(), b"the real row", b"manifest.json", b"SQLite format 3"):
        assert plain not in data
    done = cli("verify", str(sealed), *opening(keys), env=env)
    assert done.returncode == 0 and done.stdout.startswith(f"{sealed}: ok ("), done.stdout + done.stderr
    with sqlite3.connect(db) as conn:
        conn.execute(f"DELETE FROM {TABLE}")  # noqa: S608 (a constant)
    conn.close()
    done = cli("restore", str(sealed), *opening(keys), env=env)
    assert done.returncode == 0, done.stderr
    assert "sqlite: wsgi restored" in done.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute(f"SELECT text FROM {TABLE}").fetchall() == [("the real row",)]  # noqa: S608
    conn.close()
    # Without the operator's key, or with another identity, nothing opens.
    missing = cli("verify", str(sealed), env=env)
    assert missing.returncode == 1 and "give --identity" in missing.stderr, missing.stderr
    subprocess.run(["age-keygen", "-o", str(tmp_path / "other")], check=True, capture_output=True)
    other = cli("verify", str(sealed), "--identity", str(tmp_path / "other"), "--signer", str(keys["signer"]), env=env)
    assert other.returncode == 1 and "decrypt: " in other.stderr, other.stderr


def test_a_copy_with_a_recomputed_manifest_fails_verification(lab, keys, tmp_path):
    env, archive, db = lab
    sealed = seal(archive, keys, tmp_path / "out")
    forged = forge(archive, tmp_path)
    # The plain format alone cannot tell: the manifest matches its (forged) files.
    assert cli("verify", str(forged), env=env).returncode == 0
    # Encrypted to the same public recipient, with the real copy's signature beside it, or the attacker's own.
    for signature in ("real", "attacker"):
        fake = tmp_path / signature / sealed.name
        fake.parent.mkdir()
        subprocess.run(["age", "-R", str(keys["recipients"]), "-o", str(fake), str(forged)], check=True)
        if signature == "real":
            fake.with_name(fake.name + ".sig").write_bytes(sealed.with_name(sealed.name + ".sig").read_bytes())
        else:
            subprocess.run(["ssh-keygen", "-Y", "sign", "-q", "-f", str(keys["attacker"]), "-n", "stacklab-backup",
                            str(fake)], check=True)  # fmt: skip
        for command in ("verify", "restore"):
            done = cli(command, str(fake), *opening(keys), env=env)
            assert done.returncode == 1 and "bad signature" in done.stderr, (signature, command, done.stderr)
    with sqlite3.connect(db) as conn:
        assert conn.execute(f"SELECT text FROM {TABLE}").fetchall() == [("the real row",)]  # noqa: S608
    conn.close()
    # A flipped byte in a real copy fails the same way.
    damaged = bytearray(sealed.read_bytes())
    damaged[-10] ^= 1
    sealed.write_bytes(bytes(damaged))
    done = cli("verify", str(sealed), *opening(keys), env=env)
    assert done.returncode == 1 and "bad signature" in done.stderr, done.stderr


# The receiving side.


@pytest.fixture
def receiver(tmp_path, keys):
    """The forced command rendered for a temporary folder, the sender `h`'s signing key pinned, keep 14."""
    store, signers = tmp_path / "store", tmp_path / "signers"
    (store / "h").mkdir(parents=True)
    signers.mkdir()
    (signers / "h.pub").write_text(keys["signer"].read_text())
    script = tmp_path / "stacklab-backup-receive"
    script.write_text(
        jinja2.Template(RECEIVE.read_text()).render(
            ansible_managed="test", backup_offsite_dir=str(store), backup_offsite_signers_dir=str(signers)
        )
    )
    script.chmod(0o755)
    return script, store / "h"


def receive(script: Path, command: str, data: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(script), "h", "14"], input=data, capture_output=True, check=False,
        env={**os.environ, "SSH_ORIGINAL_COMMAND": command},
    )  # fmt: skip


def sealed_bytes(keys: dict, tmp: Path, payload: bytes, key: str = "signing") -> tuple[bytes, str]:
    """payload encrypted to the operator and signed with key: (the bytes, the signature's base64 word)."""
    plain, out = tmp / "payload", tmp / "payload.age"
    plain.write_bytes(payload)
    out.unlink(missing_ok=True)
    out.with_name("payload.age.sig").unlink(missing_ok=True)
    subprocess.run(["age", "-R", str(keys["recipients"]), "-o", str(out), str(plain)], check=True)
    subprocess.run(["ssh-keygen", "-Y", "sign", "-q", "-f", str(keys[key]), "-n", "stacklab-backup", str(out)],
                   check=True)  # fmt: skip
    signature = "".join(line for line in (tmp / "payload.age.sig").read_text().splitlines() if "-----" not in line)
    return out.read_bytes(), signature


def name(at: float) -> str:
    return time.strftime("stacklab-%Y%m%dT%H%M%SZ.tar.age", time.gmtime(at))


def put(script: Path, keys: dict, tmp: Path, at: float, payload: bytes, key: str = "signing"):
    data, signature = sealed_bytes(keys, tmp, payload, key)
    return receive(script, f"put {name(at)} {signature}", data)


def test_the_receiver_stores_a_signed_copy_and_never_replaces_it(receiver, keys, tmp_path):
    script, folder = receiver
    now = time.time()
    stored = put(script, keys, tmp_path, now - 60, b"real")
    assert stored.returncode == 0, stored.stderr
    copy = folder / name(now - 60)
    original = copy.read_bytes()
    assert oct(copy.stat().st_mode & 0o777) == "0o600" and copy.with_name(copy.name + ".sig").is_file()
    assert receive(script, "list").stdout.decode().split() == [copy.name]
    again = put(script, keys, tmp_path, now - 60, b"evil, validly signed")
    assert again.returncode == 1 and b"already stored" in again.stderr, again.stderr
    assert copy.read_bytes() == original
    future = put(script, keys, tmp_path, now + 2 * DAY, b"dated in the future")
    assert future.returncode == 1 and b"dated in the future" in future.stderr, future.stderr
    assert not (folder / name(now + 2 * DAY)).exists()


def test_the_receiver_refuses_unsigned_and_foreign_copies(receiver, keys, tmp_path):
    script, folder = receiver
    now = time.time()
    data, signature = sealed_bytes(keys, tmp_path, b"junk")
    junk = receive(script, f"put {name(now - 1)} {signature}", data + b"x")  # the bytes the signature is not for
    assert junk.returncode == 1 and b"bad signature" in junk.stderr, junk.stderr
    foreign = put(script, keys, tmp_path, now - 2, b"junk", key="attacker")
    assert foreign.returncode == 1 and b"bad signature" in foreign.stderr, foreign.stderr
    escape = receive(script, f"put ../{name(now - 3)} {signature}", data)
    assert escape.returncode == 1 and b"not an archive name" in escape.stderr
    shell = receive(script, "id")
    assert shell.returncode == 1 and b"uid=" not in shell.stdout
    assert sorted(p.name for p in folder.iterdir()) == []


def test_no_put_evicts_the_oldest_real_copy(receiver, keys, tmp_path):
    """Real copies received on each of the 13 days before today, then a re-put of the oldest name, a future-dated
    name, 15 unsigned junk puts and 15 validly signed ones (a compromised sender): the oldest real copy is still
    there, and so is every day's; of today's, the first and the newest (14 days kept)."""
    script, folder = receiver
    now = time.time()
    real = []
    for day in range(13, 0, -1):
        assert put(script, keys, tmp_path, now - day * DAY, b"real %d" % day).returncode == 0
        real.append(folder / name(now - day * DAY))
        os.utime(real[-1], (now - day * DAY, now - day * DAY))  # received that day
    oldest = real[0].read_bytes()
    assert put(script, keys, tmp_path, now - 13 * DAY, b"replacement").returncode == 1
    assert put(script, keys, tmp_path, now + 3600, b"future").returncode == 1
    _, signature = sealed_bytes(keys, tmp_path, b"junk")
    for i in range(15):
        assert receive(script, f"put {name(now - 100 - i)} {signature}", os.urandom(200)).returncode == 1
    for i in range(15):
        assert put(script, keys, tmp_path, now - 200 - i, b"signed junk %d" % i).returncode == 0
    assert real[0].read_bytes() == oldest
    kept = receive(script, "list").stdout.decode().split()
    assert kept == [p.name for p in real] + [name(now - 200), name(now - 214)], kept
    # A day later (every receive time a day back), the first copy of a 15th day retires the oldest day's.
    for path in folder.iterdir():
        received = path.stat().st_mtime - DAY
        os.utime(path, (received, received))
    assert put(script, keys, tmp_path, now - 50, b"the next day's").returncode == 0
    assert not real[0].exists() and real[1].exists() and (folder / name(now - 50)).exists()
