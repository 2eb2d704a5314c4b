"""stacklab_deploy.build: the release tarball and the tool's zipapp, built the one way fab and Ansible both use.
The wheelhouse builder is exercised with a stand-in scripts/wheelhouse in a throwaway checkout (the real one
downloads every locked wheel); the real one runs in the VM and deploy stages."""

import io
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from stacklab_core import catalog
from stacklab_deploy import build
from stacklab_deploy.build import BuildError
from stacklab_release.install import install
from stacklab_release.site import Failure, Site, read_release_file

from tests.unit.release.wheels import make_wheel

REPO = Path(__file__).resolve().parents[3]
# The interpreter the venv was made from, isolated (-I: no PYTHONPATH, no user site, not the venv's packages).
BARE_PYTHON = [getattr(sys, "_base_executable", sys.executable), "-I"]
GIT = ["git", "-c", "user.name=tests", "-c", "user.email=tests@localhost"]

# Writes a wheelhouse with one file per run and notes each run, so a test sees when it was (not) rebuilt.
FAKE_WHEELHOUSE = """#!/bin/sh
[ -n "${FAIL:-}" ] && { echo "pip: no matching distribution for nothing==0" >&2; exit 1; }
mkdir -p "$1"
echo "flask==3.1.0" >"$1/requirements.txt"
echo "$2" >>runs.log
"""


def commit(checkout: Path, message: str) -> None:
    subprocess.run([*GIT, "-C", str(checkout), "add", "--all"], check=True)
    subprocess.run([*GIT, "-C", str(checkout), "commit", "--quiet", "-m", message], check=True)


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A git checkout with the inputs of a wheelhouse: a service, uv.lock and a scripts/wheelhouse."""
    path = tmp_path / "checkout"
    (path / "services" / "echo").mkdir(parents=True)
    (path / "services" / "echo" / "server.py").write_text("print('echo')\n")
    (path / "uv.lock").write_text("version = 1\n")
    (path / "scripts").mkdir()
    (path / "scripts" / "wheelhouse").write_text(FAKE_WHEELHOUSE)
    (path / "scripts" / "wheelhouse").chmod(0o755)
    (path / ".gitignore").write_text("build/\nruns.log\n*.pyc\n")
    subprocess.run(["git", "init", "--quiet", str(path)], check=True)
    commit(path, "lab")
    return path


def runs(checkout: Path) -> list[str]:
    log = checkout / "runs.log"
    return log.read_text().split() if log.exists() else []


def test_wheelhouse_is_rebuilt_only_when_what_goes_into_it_changed(checkout):
    out = checkout / "build" / "wheelhouse"
    assert build.wheelhouse(checkout, out, "3.13") == "rebuilt"
    assert build.wheelhouse(checkout, out, "3.13") == "up to date"
    (checkout / "services" / "echo" / "cache.pyc").write_bytes(b"ignored by git")
    assert build.wheelhouse(checkout, out, "3.13") == "up to date"
    (checkout / "services" / "echo" / "server.py").write_text("print('echo, edited')\n")  # not committed
    assert build.wheelhouse(checkout, out, "3.13") == "rebuilt"
    assert build.wheelhouse(checkout, out, "3.12") == "rebuilt"  # wheels for another Python
    assert runs(checkout) == ["3.13", "3.13", "3.12"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["wheelhouse", "wheelhouse.lock", "wheelhouse.source"]


def test_a_file_belongs_to_the_workspace_package_whose_folder_holds_it(checkout):
    (checkout / "core" / "src").mkdir(parents=True)
    (checkout / "core" / "pyproject.toml").write_text("")
    (checkout / "services" / "echo" / "pyproject.toml").write_text("")
    assert build.member_of(checkout, "core/src/stacklab_core/layout.py") == "core"  # a member at the top
    assert build.member_of(checkout, "services/echo/server.py") == "services/echo"
    assert build.member_of(checkout, "services/README.md") == ""
    assert build.member_of(checkout, "uv.lock") == ""


def test_a_failed_wheelhouse_build_keeps_the_last_good_one(checkout, monkeypatch):
    out = checkout / "build" / "wheelhouse"
    build.wheelhouse(checkout, out, "3.13")
    (checkout / "uv.lock").write_text("version = 2\n")
    monkeypatch.setenv("FAIL", "1")
    with pytest.raises(BuildError, match="no matching distribution"):
        build.wheelhouse(checkout, out, "3.13")
    assert (out / "requirements.txt").is_file()
    assert sorted(p.name for p in out.parent.iterdir()) == ["wheelhouse", "wheelhouse.lock", "wheelhouse.source"]
    monkeypatch.delenv("FAIL")
    assert build.wheelhouse(checkout, out, "3.13") == "rebuilt"


def test_a_release_is_one_tarball_that_the_tool_installs(checkout, tmp_path, capsys):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, "echo", "1.0", 'VERSION = "1.0"\n')
    (wheels / "requirements.txt").write_text("")
    argv = ["release", str(checkout), str(tmp_path / "out"), "--wheelhouse", str(wheels), "--prebuilt",
            "--python", "3.13", "--arch", os.uname().machine]  # fmt: skip
    assert build.main(argv) == 0  # what Ansible runs; fab calls build_release() with the same arguments
    made = json.loads(capsys.readouterr().out)
    sha = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    assert re.fullmatch(rf"\d{{8}}T\d{{6}}-{sha[:7]}", made["name"]) and made["wheelhouse"] == "prebuilt"
    assert made["tarball"] == str(tmp_path / "out" / f"{made['name']}.tar.gz")
    with tarfile.open(made["tarball"]) as tar:
        assert sorted(tar.getnames()) == [
            "wheelhouse/RELEASE", "wheelhouse/SHA256SUMS", "wheelhouse/requirements.txt",
            "wheelhouse/stacklab_echo-1.0-py3-none-any.whl",
        ]  # fmt: skip
    assert sorted(p.name for p in wheels.iterdir()) == ["requirements.txt", "stacklab_echo-1.0-py3-none-any.whl"]

    site = Site(root=tmp_path / "srv", python=sys.executable)
    install(site, made["tarball"], made["name"])  # verifies SHA256SUMS on the way
    info = read_release_file(site.releases / made["name"] / "RELEASE")
    assert info["STACKLAB_GIT_SHA"] == sha.strip() and info["STACKLAB_VERSION"] == sha[:7]
    assert info["STACKLAB_BUILT"] and info["STACKLAB_APPS"] == "echo"
    assert info["STACKLAB_STACKS"] == ",".join(catalog.stacks())  # the apps a server installs: the catalog's


def test_a_corrupt_wheel_in_a_release_is_caught_by_its_checksums(tmp_path, checkout):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, "echo", "1.0", "")
    (wheels / "requirements.txt").write_text("")
    made = build.build_release(checkout, tmp_path / "out", wheels=wheels, prebuilt=True)
    corrupt = tmp_path / "corrupt.tar.gz"
    with tarfile.open(made.tarball) as src, tarfile.open(corrupt, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            data = data + b"x" if member.name.endswith(".whl") else data
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    site = Site(root=tmp_path / "srv", python=sys.executable)
    with pytest.raises(Failure, match="checksum mismatch"):
        install(site, str(corrupt), made.name)


def test_bad_builds_are_refused_with_one_line(checkout, tmp_path, capsys):
    with pytest.raises(BuildError, match="the host is riscv64"):
        build.build_release(checkout, tmp_path / "out", arch="riscv64")
    assert build.main(["release", str(checkout), str(tmp_path / "out"), "--prebuilt"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("stacklab-deploy-build: error: ") and "no prebuilt wheelhouse" in err
    assert runs(checkout) == []  # nothing was built


def test_the_tool_zipapp_is_reproducible_and_is_the_tool(tmp_path):
    # As Ansible builds it: the checkout's sources on PYTHONPATH, whatever python runs the play.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(REPO / p) for p in ("hosting/deploy/src", "core/src"))}
    for name in ("a", "b"):
        argv = [sys.executable, "-m", "stacklab_deploy.build", "tool", str(REPO), str(tmp_path / name)]
        subprocess.run(argv, env=env, check=True, capture_output=True)
    zipapp = tmp_path / "a"
    assert zipapp.read_bytes() == (tmp_path / "b").read_bytes()  # so Ansible's copy task changes nothing
    assert zipapp.stat().st_mode & 0o777 == 0o755 and zipapp.read_bytes().startswith(b"#!/usr/bin/env python3\n")

    root = tmp_path / "srv"
    (root / "releases" / "20250101T000000-aaaaaaa").mkdir(parents=True)
    (root / "releases" / "20250101T000000-aaaaaaa" / "RELEASE").write_text("STACKLAB_VERSION=v1\n")
    env = {"PATH": os.environ["PATH"], "STACKLAB_ROOT": str(root)}

    def run(*args: str) -> subprocess.CompletedProcess:  # as a server runs it: its python3 alone, no venv
        return subprocess.run([*BARE_PYTHON, str(zipapp), *args], env=env, capture_output=True, text=True, check=False)

    assert run("activate", "20250101T000000-aaaaaaa").returncode == 0
    assert run("current").stdout == "20250101T000000-aaaaaaa\n"
    assert run("list").stdout.startswith("* 20250101T000000-aaaaaaa  version=v1 ")
    refused = run("activate", "../etc")
    assert refused.returncode == 1 and refused.stderr.startswith("stacklab-release: error: bad release name")


@pytest.mark.parametrize("package", sorted(build.TOOLS))
def test_each_server_tool_runs_on_a_bare_python(tmp_path, package):
    """A server has python3 and nothing of the lab: the zipapp carries what it imports (its package, TOOL_CORE)."""
    assert subprocess.run([*BARE_PYTHON, "-c", "import stacklab_core"], capture_output=True).returncode != 0
    zipapp = build.build_tool(REPO, tmp_path / package, package)
    done = subprocess.run([*BARE_PYTHON, str(zipapp), "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.startswith("usage: stacklab-"), done.stderr
    with zipfile.ZipFile(zipapp) as archive:
        assert "stacklab_core/layout.py" in archive.namelist()
