"""stacklab_deploy.helpers.download_private, the download of `fab backup`: the archive holds the lab's data (and
with --with-secrets its secrets), so its local copy is 0600 from the moment it exists, whatever the umask."""

import os
import stat

import pytest
from stacklab_deploy.helpers import download_private

ARCHIVE = b"an archive of the lab's data\n" * 1000


class Host:
    """What download_private uses of a Fabric Connection: get(remote, local=...). As Fabric's Transfer.get does, a
    path is opened by paramiko's SFTPClient.get with the process's umask, a file object is written as it is. It
    notes the mode the local file has when the first byte arrives."""

    def __init__(self):
        self.modes = []

    def get(self, remote, local):
        out = open(local, "wb") if isinstance(local, str) else local  # noqa: SIM115 (closed below when opened here)
        self.modes.append(stat.S_IMODE(os.fstat(out.fileno()).st_mode))
        out.write(ARCHIVE)
        out.flush()
        if out is not local:
            out.close()


@pytest.fixture
def open_umask():
    """The most common umask on a workstation: new files world-readable."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_download_is_private_from_its_first_byte(tmp_path, open_umask):
    host = Host()
    local = tmp_path / "backups" / "stacklab-20261207T120000Z.tar"
    download_private(host, "/tmp/tmp.x/stacklab-20261207T120000Z.tar", local)
    assert host.modes == [0o600], "the file was readable by others while the archive arrived"
    assert stat.S_IMODE(local.stat().st_mode) == 0o600
    assert stat.S_IMODE(local.parent.stat().st_mode) == 0o700
    assert local.read_bytes() == ARCHIVE


def test_a_planted_file_or_link_is_neither_followed_nor_overwritten(tmp_path, open_umask):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"not yours")
    local = tmp_path / "stacklab-20261207T120000Z.tar"
    local.symlink_to(elsewhere)
    with pytest.raises(FileExistsError):
        download_private(Host(), "/tmp/tmp.x/stacklab-20261207T120000Z.tar", local)
    assert elsewhere.read_bytes() == b"not yours"
    assert local.is_symlink()


def test_a_failed_download_leaves_no_partial_archive(tmp_path, open_umask):
    class Broken(Host):
        def get(self, remote, local):
            if isinstance(local, str):
                with open(local, "wb") as out:
                    out.write(b"half")
            else:
                local.write(b"half")
            raise OSError("connection lost")

    local = tmp_path / "stacklab-20261207T120000Z.tar"
    with pytest.raises(OSError, match="connection lost"):
        download_private(Broken(), "/tmp/tmp.x/stacklab-20261207T120000Z.tar", local)
    assert not local.exists()
