"""Sealed archives, the off-site copies (docs/backups.md, "Off-site copies"): NAME.tar.age, the archive encrypted
with age to the operator's recipient (its identity, the private half, is never on the server), and NAME.tar.age.sig
beside it, an SSH signature of those bytes by the server's backup signing key (namespace stacklab-backup).

The receiver holds neither key: it can neither read a copy nor make one that verifies. age alone would not do: a
ciphertext is authenticated only for the identity's holder, and anyone with the recipient (a public key) can
encrypt a new archive with a recomputed manifest; the signature is what such a forgery lacks. Opening a sealed
archive checks the signature against the operator's record of the signer's public key, then decrypts."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from stacklab_backup.archive import NAME
from stacklab_backup.targets import BackupError

NAMESPACE = "stacklab-backup"
SUFFIX = ".age"


def is_sealed(path: Path) -> bool:
    return path.name.endswith(SUFFIX)


def _run(argv: list[str], what: str, stdin=None) -> None:
    try:
        done = subprocess.run(argv, stdin=stdin, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{what}: {argv[0]} is not installed (Debian: apt-get install {argv[0]})") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise BackupError(f"{what}: {last}")


def seal(archive: Path, recipients: Path, signing_key: Path, out_dir: Path) -> Path:
    """archive encrypted to the recipients file's keys as out_dir/NAME.tar.age, signed beside it (.sig)."""
    if not NAME.match(archive.name):
        raise BackupError(f"{archive}: not an archive name (stacklab-<UTC time>.tar)")
    sealed = out_dir / f"{archive.name}{SUFFIX}"
    _run(["age", "--encrypt", "--recipients-file", str(recipients), "--output", str(sealed), str(archive)], "encrypt")
    _run(["ssh-keygen", "-Y", "sign", "-q", "-f", str(signing_key), "-n", NAMESPACE, str(sealed)], "sign")
    return sealed


def check_signature(sealed: Path, signer: Path) -> None:
    """The signature beside sealed is the signer's (an SSH public key file: the operator's record of it)."""
    signature = sealed.with_name(sealed.name + ".sig")
    if not signature.is_file():
        raise BackupError(f"{sealed}: no signature ({signature.name}) beside it")
    key = signer.read_text().split()[:2]
    with tempfile.TemporaryDirectory(prefix=".stacklab-signers.") as tmp:
        signers = Path(tmp) / "allowed_signers"
        signers.write_text(f'{NAMESPACE} namespaces="{NAMESPACE}" {" ".join(key)}\n')
        with open(sealed, "rb") as data:
            argv = ["ssh-keygen", "-Y", "verify", "-f", str(signers), "-I", NAMESPACE, "-n", NAMESPACE]
            try:
                _run([*argv, "-s", str(signature)], "verify", stdin=data)
            except BackupError:
                raise BackupError(
                    f"{sealed}: bad signature: not made by the key in {signer} (tampered with, or another server's)"
                ) from None


@contextmanager
def opened(sealed: Path, identity: Path | None, signer: Path | None) -> Iterator[Path]:
    """The plain archive inside a sealed one, in a private temporary folder, once its signature checks out."""
    if identity is None or signer is None:
        raise BackupError(f"{sealed}: a sealed copy: give --identity (the operator's age key) and --signer")
    check_signature(sealed, signer)
    with tempfile.TemporaryDirectory(prefix=".stacklab-unsealed.") as tmp:  # 0700: the plain archive is root's
        plain = Path(tmp) / sealed.name.removesuffix(SUFFIX)
        _run(["age", "--decrypt", "--identity", str(identity), "--output", str(plain), str(sealed)], "decrypt")
        yield plain
