"""scripts/secrets, the compose secrets (the Django stack's database password, secret key and account passwords
among them), run for real in a copy of the repository's layout: private files that only the containers' group
can read besides their owner, made once and kept, and the two settings compose needs in .env.
"""

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
NAMES = {
    "django_secret_key": 64,
    "postgres_password": 32,
    "django_superuser_password": 24,
    "django_demo_password_jon": 24,
    "django_demo_password_brian": 24,
    "wsgi_secret_key": 64,
    "flask_secret_key": 64,
}


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A folder laid out like the repository, with the script and .env.example: the script works from there."""
    (tmp_path / "scripts").mkdir()
    shutil.copy2(ROOT / "scripts" / "secrets", tmp_path / "scripts" / "secrets")
    shutil.copy2(ROOT / ".env.example", tmp_path / ".env.example")
    return tmp_path


def run(checkout: Path) -> str:
    return subprocess.run([str(checkout / "scripts" / "secrets")], capture_output=True, text=True, check=True).stdout


def env(checkout: Path) -> dict[str, str]:
    return dict(re.findall(r"^([A-Z_]+)=(.*)$", (checkout / ".env").read_text(), flags=re.M))


def test_files_are_0640_in_a_0700_folder_in_the_group_compose_adds(checkout):
    out = run(checkout)
    gid = int(env(checkout)["STACKLAB_SECRETS_GID"])
    # The user's own group; root's group 0 would mean more than a secret's group inside a container.
    assert gid == (os.getgid() or 10000)
    assert env(checkout)["STACKLAB_SECRETS"] == "./secrets"  # from .env.example
    folder = checkout / "secrets"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == sorted(NAMES), "no temporary file left behind"
    for name, length in NAMES.items():
        info = (folder / name).stat()
        assert (stat.S_IMODE(info.st_mode), info.st_gid) == (0o640, gid), name
        assert re.fullmatch(rf"[A-Za-z0-9_-]{{{length}}}", (folder / name).read_text()), name
    assert "generated" in out and "STACKLAB_SECRETS_GID" in out


def test_a_second_run_keeps_every_value_and_mends_old_modes(checkout):
    run(checkout)
    folder = checkout / "secrets"
    values = {name: (folder / name).read_text() for name in NAMES}
    (folder / "postgres_password").chmod(0o644)  # as the script made them before
    assert run(checkout) == ""
    assert {name: (folder / name).read_text() for name in NAMES} == values
    assert stat.S_IMODE((folder / "postgres_password").stat().st_mode) == 0o640
    assert list(env(checkout)) == ["STACKLAB_SECRETS", "STACKLAB_SECRETS_GID"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file to a group it is not in")
def test_the_group_in_env_wins(checkout):
    (checkout / ".env").write_text("STACKLAB_SECRETS=./secrets\nSTACKLAB_SECRETS_GID=12345\n")
    run(checkout)
    assert {(checkout / "secrets" / name).stat().st_gid for name in NAMES} == {12345}
    assert env(checkout) == {"STACKLAB_SECRETS": "./secrets", "STACKLAB_SECRETS_GID": "12345"}
