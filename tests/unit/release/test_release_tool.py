"""hosting/release/stacklab-release on this machine, in a temporary STACKLAB_ROOT (no systemd: the unit steps are
covered by tests/deploy on a stand-in). Real venvs, real offline pip installs from a small wheelhouse."""

import base64
import hashlib
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[3] / "hosting" / "release" / "stacklab-release"


def make_wheel(folder: Path, app: str, version: str, body: str, entry_points: str = "") -> Path:
    """A minimal pure-Python wheel of stacklab-<app> whose package holds `body` (and console scripts, if given)."""
    dist = f"stacklab_{app}-{version}"
    files = {
        f"stacklab_{app}/__init__.py": body,
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: stacklab-{app}\nVersion: {version}\n",
        f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    if entry_points:
        files[f"{dist}.dist-info/entry_points.txt"] = entry_points
    record = []
    path = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as whl:
        for name, text in files.items():
            data = text.encode()
            whl.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(data)}")
        record.append(f"{dist}.dist-info/RECORD,,")
        whl.writestr(f"{dist}.dist-info/RECORD", "\n".join(record) + "\n")
    return path


@pytest.fixture
def tool(tmp_path):
    root = tmp_path / "srv"

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        env = {**os.environ, "STACKLAB_ROOT": str(root), "STACKLAB_PYTHON": sys.executable}
        proc = subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True, env=env)
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc

    run.root = root
    return run


@pytest.fixture
def wheelhouse(tmp_path):
    def make(version: str, body: str = "", apps=("echo", "chat")) -> Path:
        folder = tmp_path / f"wh-{version}"
        folder.mkdir()
        for app in apps:
            make_wheel(folder, app, version, body or f'VERSION = "{version}"\n')
        (folder / "requirements.txt").write_text("")
        return folder

    return make


def current_version(tool, app="echo") -> str:
    python = tool.root / "current" / "venvs" / app / "bin" / "python"
    out = subprocess.run([str(python), "-c", f"import stacklab_{app}; print(stacklab_{app}.VERSION)"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return out.stdout.strip()


def test_install_activate_switch_and_rollback(tool, wheelhouse):
    tool("install", str(wheelhouse("1.0")), "20250101T000000-aaaaaaa")
    assert tool("current", check=False).returncode == 1  # installed is not active
    tool("activate", "20250101T000000-aaaaaaa")
    assert current_version(tool) == "1.0"
    release = tool.root / "releases" / "20250101T000000-aaaaaaa"
    assert (release / "venvs" / "chat").is_dir() and "STACKLAB_RELEASE=20250101T000000-aaaaaaa" in (
        release / "RELEASE"
    ).read_text()

    tool("install", str(wheelhouse("2.0")), "20250102T000000-bbbbbbb")
    tool("activate", "20250102T000000-bbbbbbb")
    assert current_version(tool) == "2.0"
    assert os.readlink(tool.root / "current") == "releases/20250102T000000-bbbbbbb"  # relative, one rename
    assert tool("previous").stdout.strip() == "20250101T000000-aaaaaaa"
    listed = [line.split()[:2] for line in tool("list").stdout.splitlines()]
    assert listed == [["-", "20250101T000000-aaaaaaa"], ["*", "20250102T000000-bbbbbbb"]]

    tool("rollback")
    assert current_version(tool) == "1.0"
    assert tool("previous").stdout.strip() == "20250102T000000-bbbbbbb"


# A stand-in for Django's manage.py: records what collectstatic was run with, in the static root it was given.
FAKE_MANAGE = """import os, sys
from pathlib import Path


def main():
    seen = [" ".join(sys.argv[1:]), os.environ.get("DJANGO_SECRET_KEY", ""), os.environ.get("DATABASE_URL", "")]
    (Path(os.environ["DJANGO_STATIC_ROOT"]) / "seen.txt").write_text("\\n".join(seen) + "\\n")
"""


def test_install_collects_django_static_files_with_throwaway_settings(tool, tmp_path, monkeypatch):
    folder = tmp_path / "wh-django"
    folder.mkdir()
    scripts = "[console_scripts]\nstacklab-django-manage = stacklab_django:main\n"
    make_wheel(folder, "django", "1.0", FAKE_MANAGE, entry_points=scripts)
    (folder / "requirements.txt").write_text("")
    monkeypatch.setenv("DJANGO_SECRET_KEY", "the-real-key")  # never handed to collectstatic
    monkeypatch.setenv("DATABASE_URL", "postgres://real@db.example/real")
    tool("install", str(folder), "20250101T000000-ccccccc")
    static = tool.root / "releases" / "20250101T000000-ccccccc" / "static" / "django"
    command, key, database = (static / "seen.txt").read_text().splitlines()
    assert command == "collectstatic --noinput"
    assert len(key) >= 50 and key != "the-real-key"
    assert database == "postgres://collectstatic@localhost/unused"


def test_install_from_a_tarball_verifies_checksums(tool, wheelhouse, tmp_path):
    folder = wheelhouse("1.0", apps=("echo",))
    sums = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}" for p in sorted(folder.iterdir())]
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    good = tmp_path / "good.tar.gz"
    with tarfile.open(good, "w:gz") as tar:
        tar.add(folder, arcname="wheelhouse")
    tool("install", str(good), "20250101T000000-aaaaaaa")

    wheel = next(folder.glob("*.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"corrupt")
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(bad, "w:gz") as tar:
        tar.add(folder, arcname="wheelhouse")
    result = tool("install", str(bad), "20250102T000000-bbbbbbb", check=False)
    assert result.returncode == 1 and "checksum mismatch" in result.stderr
    assert not (tool.root / "releases" / "20250102T000000-bbbbbbb").exists()  # nothing half-made is left


def test_install_is_idempotent_and_a_failed_install_leaves_nothing(tool, wheelhouse, tmp_path):
    source = wheelhouse("1.0", apps=("echo",))
    tool("install", str(source), "20250101T000000-aaaaaaa")
    again = tool("install", str(source), "20250101T000000-aaaaaaa")
    assert "already installed" in again.stdout

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "stacklab_echo-1.0-py3-none-any.whl").write_bytes(b"not a zip")
    result = tool("install", str(broken), "20250102T000000-bbbbbbb", check=False)
    assert result.returncode == 1 and "pip install" in result.stderr and "Traceback" not in result.stderr
    assert not (tool.root / "releases" / "20250102T000000-bbbbbbb").exists()
    assert "20250102T000000-bbbbbbb" not in tool("list").stdout


def installed(tool, *names: str) -> None:
    """Releases as `install` leaves them, minus the venvs (what list, prune and remove look at)."""
    for name in names:
        (tool.root / "releases" / name).mkdir(parents=True)
        (tool.root / "releases" / name / "RELEASE").write_text(f"STACKLAB_RELEASE={name}\n")


def test_prune_keeps_the_newest_and_never_current_or_previous(tool):
    names = [f"2025010{day}T000000-aaaaaa{day}" for day in range(1, 6)]
    installed(tool, *names)
    tool("activate", names[0])
    tool("activate", names[1])  # current = 2nd oldest, previous = oldest
    tool("prune", "2")
    left = [line[2:].split()[0] for line in tool("list").stdout.splitlines()]
    assert left == [names[0], names[1], names[3], names[4]]


def test_remove_refuses_current_and_repoints_previous(tool):
    for name in ("20250101T000000-aaaaaaa", "20250102T000000-bbbbbbb", "20250103T000000-ccccccc"):
        installed(tool, name)
        tool("activate", name)
    refused = tool("remove", "20250103T000000-ccccccc", check=False)
    assert refused.returncode == 1 and "is current" in refused.stderr
    tool("remove", "20250102T000000-bbbbbbb")  # the previous one: previous falls back to the newest other
    assert tool("previous").stdout.strip() == "20250101T000000-aaaaaaa"


@pytest.mark.parametrize(
    "args", [["activate", "../etc"], ["activate", "20990101T000000-none"], ["install", "EMPTY", "x"], ["prune", "0"]]
)
def test_bad_input_is_one_clear_line(tool, tmp_path, args):
    args = [str(tmp_path) if arg == "EMPTY" else arg for arg in args]  # a folder without wheels
    result = tool(*args, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("stacklab-release: error: ") and "Traceback" not in result.stderr
