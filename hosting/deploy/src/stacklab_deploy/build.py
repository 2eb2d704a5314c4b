"""Build, on the control machine, what goes to a server: a release (one tarball) and the release tool (a zipapp).

One code path for both shippers: `fab deploy` calls build_release() by import, Ansible's release role runs this
module's command line on the control machine (delegate_to: localhost). Standard library and stacklab_core only.

    python -m stacklab_deploy.build release CHECKOUT OUT_DIR [--python 3.13] [--arch x86_64]
                                             [--wheelhouse DIR] [--prebuilt]
        prints one JSON line {"name", "tarball", "wheelhouse"}; the tarball is OUT_DIR/NAME.tar.gz
    python -m stacklab_deploy.build wheelhouse CHECKOUT OUT [--python 3.13]     prints "rebuilt" or "up to date"
    python -m stacklab_deploy.build tool CHECKOUT OUT_FILE [--package stacklab_backup]
                                             the stacklab-release zipapp (or the backup tool's: hosting/backup)

A release tarball holds wheelhouse/: the wheels of scripts/wheelhouse (the lab's packages and every locked
dependency, for the target's Python), requirements.txt, RELEASE (STACKLAB_GIT_SHA, STACKLAB_VERSION,
STACKLAB_BUILT) and SHA256SUMS; `stacklab-release install` takes it as it is. Its name is <UTC time>-<git sha7>.

The wheelhouse is kept between builds (default CHECKOUT/build/wheelhouse-pyX.Y) and rebuilt only when what goes into it
changed: every file under its inputs that git tracks or would track (uncommitted edits included, by content), and
the target Python. Its fingerprint is kept beside it (OUT.source, one digest per workspace package and one for the
rest): when only packages' own files changed, only their wheels are rebuilt (uv build), else a whole rebuild goes to
a new directory that replaces OUT only once complete, so an interrupted build leaves no half wheelhouse.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from stacklab_core import catalog

# What scripts/wheelhouse builds from: the workspace's packages, the lock, and the script itself.
INPUTS = ("core", "services", "hosting/release", "pyproject.toml", "uv.lock", "scripts/wheelhouse")
TOOL_MAIN = "import sys\n\nfrom {package}.tool import main\n\nsys.exit(main())\n"
# The server tools shipped as zipapps: package -> its source folder in the checkout. Each zipapp also carries the
# stacklab_core modules below (standard library only, like the tools): a bare python3 runs it, with no venv.
TOOLS = {"stacklab_release": "hosting/release/src", "stacklab_backup": "hosting/backup/src"}
TOOL_CORE = ("core/src", "stacklab_core", ("__init__.py", "layout.py", "textfile.py"))
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed: the same sources give the same zipapp, so Ansible's copy stays unchanged


class BuildError(Exception):
    """A build that cannot be made: one clear line for fab or Ansible."""


@dataclass(frozen=True)
class Release:
    name: str
    tarball: Path
    wheelhouse: str  # "rebuilt", "rebuilt <package folders>" (only their wheels), "up to date" or "prebuilt"
    left_out: int = 0  # wheels the host has already, not in the tarball


def git(checkout: Path, *args: str) -> str:
    """git's output in the checkout, or "" where there is no git repository (a copied tree)."""
    proc = subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def machine_env() -> dict[str, str]:
    """Our environment without the venv that `uv run` puts first on PATH: scripts/wheelhouse syncs and runs the
    checkout's own workspace venv (a clone's, when fab deploys one), which an inherited VIRTUAL_ENV would hide."""
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"} | {"PATH": path}


def input_files(checkout: Path) -> list[str]:
    """The files the wheelhouse is built from, relative to the checkout, sorted."""
    if git(checkout, "rev-parse", "--is-inside-work-tree") == "true":
        listed = git(checkout, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *INPUTS)
        return sorted(name for name in listed.split("\0") if name)
    found = []
    for top in INPUTS:
        path = checkout / top
        files = [path] if path.is_file() else path.rglob("*")
        found += [str(f.relative_to(checkout)) for f in files if f.is_file() and "__pycache__" not in f.parts]
    return sorted(found)


def member_of(checkout: Path, name: str) -> str:
    """The workspace package folder (core, services/X, hosting/release) a file belongs to, "" for the rest."""
    parts = Path(name).parts
    for depth in (1, 2):
        folder = Path(*parts[:depth])
        if len(parts) > depth and (checkout / folder / "pyproject.toml").is_file():
            return str(folder)
    return ""


def fingerprint(checkout: Path, python_version: str) -> dict[str, str]:
    """Digests of the inputs: "" for the lock, the scripts and the target Python, and one per workspace package,
    so that a change in one package's files rebuilds that package's wheel alone."""
    digests = {"": hashlib.sha256(f"python {python_version} {os.uname().machine}\n".encode())}
    for name in input_files(checkout):
        path = checkout / name
        if path.is_file():  # a tracked file deleted in the work tree is simply left out
            line = f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {name}\n".encode()
            digests.setdefault(member_of(checkout, name), hashlib.sha256()).update(line)
    return {part: digest.hexdigest() for part, digest in sorted(digests.items())}


def rebuild_members(checkout: Path, out: Path, members: list[str]) -> None:
    """Replace the wheels of these workspace packages in OUT by fresh builds (the rest of OUT is up to date)."""
    staging = out.with_name(f"{out.name}.members.{os.getpid()}")
    try:
        argv = ["uv", "build", "--wheel", "--quiet", "--out-dir", str(staging)]
        for member in members:
            proc = subprocess.run([*argv, member], cwd=checkout, env=machine_env(), capture_output=True, text=True)
            if proc.returncode != 0:
                tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-10:])
                raise BuildError(f"building the wheel of {member} failed (uv build, exit {proc.returncode}):\n{tail}")
        for wheel in staging.glob("*.whl"):
            for stale in out.glob(f"{wheel.name.split('-')[0]}-*.whl"):
                stale.unlink()
            wheel.rename(out / wheel.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def wheelhouse(checkout: Path, out: Path, python_version: str) -> str:
    """Bring OUT up to date with the checkout for that Python: "rebuilt" or "up to date". One build at a time per
    OUT (Ansible builds a release per host in parallel): the others wait, then find it up to date."""
    checkout, out = checkout.resolve(), out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_name(out.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _wheelhouse(checkout, out, python_version)


def _wheelhouse(checkout: Path, out: Path, python_version: str) -> str:
    stamp = out.with_name(out.name + ".source")
    wanted = fingerprint(checkout, python_version)
    try:
        had = json.loads(stamp.read_text()) if (out / "requirements.txt").is_file() else {}
    except (OSError, ValueError):
        had = {}
    if had == wanted:
        return "up to date"
    changed = [part for part in wanted if had.get(part) != wanted[part]]
    if had.get("") == wanted[""] and set(had) == set(wanted) and shutil.which("uv", path=machine_env()["PATH"]):
        # only packages' own files changed: only their wheels are rebuilt
        stamp.unlink()
        rebuild_members(checkout, out, changed)
        stamp.write_text(json.dumps(wanted) + "\n")
        return f"rebuilt {', '.join(changed)}"
    new, old = out.with_name(f"{out.name}.new.{os.getpid()}"), out.with_name(f"{out.name}.old.{os.getpid()}")
    try:
        argv = [str(checkout / "scripts" / "wheelhouse"), str(new), python_version]
        proc = subprocess.run(argv, cwd=checkout, env=machine_env(), capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-10:])
            raise BuildError(f"building the wheelhouse failed (scripts/wheelhouse, exit {proc.returncode}):\n{tail}")
        stamp.unlink(missing_ok=True)
        if out.exists():
            out.rename(old)
        new.rename(out)
        stamp.write_text(json.dumps(wanted) + "\n")
    finally:
        shutil.rmtree(new, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return "rebuilt"


def release_info(checkout: Path, now: datetime) -> tuple[str, dict[str, str]]:
    """The release's name and what its RELEASE file says about where it came from."""
    sha = git(checkout, "rev-parse", "HEAD")
    # The apps the server installs, in the catalog's order: the release carries the list, the tool keeps none.
    info = {"STACKLAB_BUILT": f"{now:%Y-%m-%dT%H:%M:%SZ}", "STACKLAB_STACKS": ",".join(catalog.stacks())}
    if sha:
        info["STACKLAB_GIT_SHA"] = sha
        info["STACKLAB_VERSION"] = git(checkout, "describe", "--always", "--dirty", "--tags")
    return f"{now:%Y%m%dT%H%M%S}-{sha[:7] or 'nogit'}", info


def read_sums(text: str) -> dict[str, str]:
    """SHA256SUMS lines (`digest  name`) as name -> digest."""
    pairs = (line.partition("  ") for line in text.splitlines())
    return {name.strip(): digest.strip() for digest, _, name in pairs if name.strip()}


def pack(wheels: Path, tarball: Path, info: dict[str, str], host_has: dict[str, str] | None = None) -> int:
    """wheels/* plus RELEASE and SHA256SUMS under wheelhouse/ in one tarball; the wheelhouse itself is untouched.
    host_has (name -> sha256, the host's current SHA256SUMS): those files are left out, SHA256SUMS still lists them
    (stacklab-release install takes them from the current release). Returns how many were left out."""
    files = sorted(p for p in wheels.iterdir() if p.is_file())
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    sums = "".join(f"{digests[p.name]}  {p.name}\n" for p in files)
    release = "".join(f"{key}={value}\n" for key, value in sorted(info.items()))
    shipped = [p for p in files if not p.name.endswith(".whl") or (host_has or {}).get(p.name) != digests[p.name]]
    tmp = tarball.with_name(f".{tarball.name}.{os.getpid()}")
    with tarfile.open(tmp, "w:gz", compresslevel=1) as tar:  # wheels are compressed already
        for path in shipped:
            tar.add(path, arcname=f"wheelhouse/{path.name}")
        for name, text in (("RELEASE", release), ("SHA256SUMS", sums)):
            member = tarfile.TarInfo(f"wheelhouse/{name}")
            member.size, member.mode = len(text.encode()), 0o644
            tar.addfile(member, io.BytesIO(text.encode()))
    tmp.replace(tarball)
    return len(files) - len(shipped)


def build_release(
    checkout: Path,
    out_dir: Path,
    python_version: str = "3.13",
    arch: str | None = None,
    wheels: Path | None = None,
    prebuilt: bool = False,
    host_has: dict[str, str] | None = None,
) -> Release:
    """The release of this checkout for a server with that Python and architecture, as OUT_DIR/NAME.tar.gz.
    prebuilt: use the wheelhouse as it is (the caller built it, e.g. once for several parallel provisionings).
    host_has: the wheels the host's current release holds (see pack): the tarball carries only the others."""
    if arch and arch != os.uname().machine:
        raise BuildError(f"the host is {arch}, this machine {os.uname().machine}: wheels are built for this one")
    wheels = wheels or checkout / "build" / f"wheelhouse-py{python_version}"
    if prebuilt:
        if not (wheels / "requirements.txt").is_file():
            raise BuildError(f"{wheels}: no prebuilt wheelhouse there (no requirements.txt)")
        state = "prebuilt"
    else:
        state = wheelhouse(checkout, wheels, python_version)
    name, info = release_info(checkout, datetime.now(UTC))
    out_dir.mkdir(parents=True, exist_ok=True)
    tarball = out_dir / f"{name}.tar.gz"
    left_out = pack(wheels, tarball, info, host_has)
    return Release(name, tarball, state, left_out)


def build_tool(checkout: Path, out: Path, package: str = "stacklab_release") -> Path:
    """A server tool as one executable file: a zipapp of its package and TOOL_CORE (python3 runs it),
    package.tool:main."""
    folder = checkout / TOOLS[package] / package
    sources = [(f"{package}/{path.name}", path) for path in sorted(folder.glob("*.py"))]
    if not sources:
        raise BuildError(f"{folder}: no {package} sources")
    core_src, core, modules = TOOL_CORE
    sources += [(f"{core}/{name}", checkout / core_src / core / name) for name in modules]
    buffer = io.BytesIO()
    buffer.write(b"#!/usr/bin/env python3\n")  # as zipapp does it: the shebang, then the archive
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [("__main__.py", TOOL_MAIN.format(package=package).encode())] + [
            (name, path.read_bytes()) for name, path in sources
        ]:
            member = zipfile.ZipInfo(name, ZIP_TIME)
            member.external_attr = 0o644 << 16
            member.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(member, data)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}")
    tmp.write_bytes(buffer.getvalue())
    tmp.chmod(0o755)
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stacklab-deploy-build", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    release = sub.add_parser("release", help="a release tarball; prints {name, tarball, wheelhouse} as JSON")
    release.add_argument("checkout", type=Path)
    release.add_argument("out_dir", type=Path)
    release.add_argument("--python", default="3.13", help="the server's Python, X.Y (default 3.13)")
    release.add_argument("--arch", help="the server's architecture (refused unless it is this machine's)")
    release.add_argument("--wheelhouse", type=Path, help="default CHECKOUT/build/wheelhouse-pyX.Y")
    release.add_argument("--prebuilt", action="store_true", help="use --wheelhouse as it is")
    house = sub.add_parser("wheelhouse", help='bring the wheelhouse up to date; prints "rebuilt" or "up to date"')
    house.add_argument("checkout", type=Path)
    house.add_argument("out", type=Path)
    house.add_argument("--python", default="3.13")
    tool = sub.add_parser("tool", help="a server tool's zipapp (default the release tool's)")
    tool.add_argument("checkout", type=Path)
    tool.add_argument("out", type=Path)
    tool.add_argument("--package", choices=sorted(TOOLS), default="stacklab_release")
    args = parser.parse_args(argv)
    try:
        match args.command:
            case "release":
                made = build_release(
                    args.checkout, args.out_dir, args.python, args.arch, args.wheelhouse, args.prebuilt
                )
                print(json.dumps({"name": made.name, "tarball": str(made.tarball), "wheelhouse": made.wheelhouse}))
            case "wheelhouse":
                print(wheelhouse(args.checkout, args.out, args.python))
            case "tool":
                print(build_tool(args.checkout, args.out, args.package))
    except BuildError as exc:
        print(f"stacklab-deploy-build: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
