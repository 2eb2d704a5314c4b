"""Root takes the venvs nobody built (stacklab_release.stage.take_venv) as files: what nobody left untouched as hard
links to the base release's, the rest copied with its times; never following a link nobody planted."""

import os
from pathlib import Path

import pytest
from stacklab_release.site import Failure
from stacklab_release.stage import take_venv


def staged(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A base venv, nobody's staged copy of it (one file shared, one replaced, bin/ naming the staged path)."""
    base, stage, dest = tmp_path / "base", tmp_path / "stage" / "venvs" / "app", tmp_path / "release" / "venvs" / "app"
    for venv in (base, stage):
        (venv / "lib" / "python3.13" / "site-packages" / "pkg").mkdir(parents=True)
        (venv / "bin").mkdir()
        (venv / "lib64").symlink_to("lib")
        (venv / "bin" / "python").symlink_to("/usr/bin/python3")
    (base / "lib/python3.13/site-packages/pkg/same.py").write_text("same = 1\n")
    os.link(base / "lib/python3.13/site-packages/pkg/same.py", stage / "lib/python3.13/site-packages/pkg/same.py")
    (stage / "lib/python3.13/site-packages/pkg/new.py").write_text("new = 2\n")
    os.utime(stage / "lib/python3.13/site-packages/pkg/new.py", ns=(1_000_000_000, 1_000_000_000))
    (stage / "bin" / "tool").write_text(f"#!{stage}/bin/python\nimport pkg\n")
    (stage / "bin" / "tool").chmod(0o775)
    (stage / "pyvenv.cfg").write_text(f"command = python3 -m venv {stage}\n")
    return base, stage, dest


def test_untouched_files_are_linked_the_rest_copied_with_their_times(tmp_path):
    base, stage, dest = staged(tmp_path)
    take_venv(stage, dest, base)
    site = dest / "lib/python3.13/site-packages/pkg"
    assert os.path.samestat((site / "same.py").stat(), (base / "lib/python3.13/site-packages/pkg/same.py").stat())
    assert (site / "new.py").read_text() == "new = 2\n"
    assert (site / "new.py").stat().st_mtime_ns == 1_000_000_000  # a .pyc compiled in the stage stays valid
    assert (site / "new.py").stat().st_ino != (stage / "lib/python3.13/site-packages/pkg/new.py").stat().st_ino
    assert (dest / "bin" / "tool").read_text() == f"#!{dest}/bin/python\nimport pkg\n"
    assert (dest / "bin" / "tool").stat().st_mode & 0o777 == 0o755
    assert (dest / "pyvenv.cfg").read_text() == f"command = python3 -m venv {dest}\n"
    assert os.readlink(dest / "lib64") == "lib" and os.readlink(dest / "bin" / "python") == "/usr/bin/python3"


@pytest.mark.parametrize(
    "plant",
    [
        lambda stage, secret: (stage / "lib/python3.13/site-packages/pkg/leak.py").symlink_to(secret),
        lambda stage, secret: (stage / "lib/python3.13/site-packages/linked").symlink_to(secret.parent),
        lambda stage, secret: os.mkfifo(stage / "lib/python3.13/site-packages/pkg/fifo"),
    ],
    ids=["link to a file", "link to a folder", "fifo"],
)
def test_a_planted_link_or_special_file_is_refused(tmp_path, plant):
    base, stage, dest = staged(tmp_path)
    secret = tmp_path / "secret" / "shadow"
    secret.parent.mkdir()
    secret.write_text("root's alone\n")
    plant(stage, secret)
    with pytest.raises(Failure, match=r"a link where a venv has none|not a regular file"):
        take_venv(stage, dest, base)
    assert not [p for p in dest.rglob("*") if p.is_file() and p.read_bytes() == b"root's alone\n"]
