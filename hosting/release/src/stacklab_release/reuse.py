"""Only what changed is redone: which wheels of an app changed since the current release, and that release's
venvs and files shared as hard links where nothing did."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import zipfile
from pathlib import Path

from stacklab_release.site import run


def wheel_identity(wheel: Path) -> str:
    """What a wheel installs, independent of when it was built: the digest of its RECORD (every file's sha256).
    A rebuilt but unchanged package keeps its identity although its zip (file times) differs."""
    with zipfile.ZipFile(wheel) as archive:
        record = next((n for n in archive.namelist() if n.endswith(".dist-info/RECORD")), None)
        data = archive.read(record) if record else wheel.read_bytes()
    lines = sorted(
        line for line in data.decode(errors="replace").splitlines() if not line.split(",")[0].endswith("RECORD")
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def dist_key(name: str, version: str) -> tuple[str, str]:
    """A distribution as both a wheel's file name and an installed .dist-info name spell it (PEP 503/427)."""
    return re.sub(r"[-_.]+", "_", name).lower(), version


def app_inputs(dest: Path, app: str, wheelhouse: Path) -> str:
    """`identity  wheel` lines, sorted, of every wheel installed in the app's venv: the venv is a function of them."""
    by_key = {dist_key(*w.name.split("-")[:2]): w for w in wheelhouse.glob("*.whl")}
    lines = []
    for info in (dest / "venvs" / app / "lib").glob("python3*/site-packages/*.dist-info"):
        wheel = by_key.get(dist_key(*info.name.removesuffix(".dist-info").split("-")[:2]))
        if wheel is None:  # not from this wheelhouse: never reuse such a venv
            return ""
        lines.append(f"{wheel_identity(wheel)}  {wheel.name}")
    return "".join(f"{line}\n" for line in sorted(lines))


def requirements(wheel: Path) -> list[str]:
    """A wheel's Requires-Dist lines (its METADATA)."""
    with zipfile.ZipFile(wheel) as archive:
        metadata = next((n for n in archive.namelist() if n.endswith(".dist-info/METADATA")), None)
        text = archive.read(metadata).decode(errors="replace") if metadata else ""
    return sorted(line for line in text.splitlines() if line.startswith("Requires-Dist:"))


def changed_wheels(inputs: str, wheelhouse: Path, base: Path) -> list[Path] | None:
    """The wheels of an app's venv whose contents changed while their name, version and requirements did not
    (a code change): patching the base release's venv with them is enough. None when that is not so (a version or a
    dependency changed, or nothing is known of the venv): the venv is made anew."""
    if not inputs:
        return None
    changed = []
    for line in inputs.splitlines():
        identity, _, name = line.partition("  ")
        wheel, before = wheelhouse / name, base / "wheelhouse" / name
        if not wheel.is_file():
            return None
        if wheel_identity(wheel) != identity:
            if not before.is_file() or requirements(before) != requirements(wheel):
                return None
            changed.append(wheel)
    return changed


def patch_venv(pip: list[str], app: str, stage: Path, wheels: list[Path], drop: dict, env: dict[str, str]) -> None:
    """Replace these wheels' files in a venv cloned from the base release (pip replaces files, never edits them);
    as `drop`'s user (stage.py: pip runs the venv's interpreter, and with it the venv's .pth files)."""
    run(
        [*pip, "--python", str(stage / "venvs" / app / "bin" / "python"), "install", "--quiet",
         "--disable-pip-version-check", "--no-index", "--no-deps", "--force-reinstall", *map(str, wheels)],
        f"{app}: pip install of its changed wheels (offline)", env=env, **drop,
    )  # fmt: skip


def clone_tree(src: Path, dst: Path) -> None:
    """dst as a copy of src made of hard links (no bytes copied): the releases never modify a file in place
    (pip and Python replace files), so sharing them is safe. Symlinks are copied as links; a venv's files that name
    its own path (bin/: the scripts' #! lines, activate; pyvenv.cfg) are rewritten to name dst, as files of their
    own."""
    old, new = str(src).encode(), str(dst).encode()
    for folder, dirs, files in os.walk(src):
        rel = Path(folder).relative_to(src)
        here = dst / rel
        here.mkdir(mode=0o755, parents=True, exist_ok=True)
        may_name_src = rel.parts[:1] == ("bin",)
        for name in list(dirs) + files:
            path, target = Path(folder) / name, here / name
            if path.is_symlink():
                os.symlink(os.readlink(path), target)
                if name in dirs:
                    dirs.remove(name)
            elif name in files:
                data = path.read_bytes() if may_name_src or (rel == Path(".") and name == "pyvenv.cfg") else b""
                if old in data:
                    target.write_bytes(data.replace(old, new))
                    shutil.copymode(path, target)
                else:
                    os.link(path, target)


def fill_from(base: Path | None, wheelhouse: Path) -> int:
    """Wheels that SHA256SUMS lists but the upload left out (fab sends only what the host lacks): hard links to the
    base release's copies, which verify_sums then checks like the others. Returns how many were taken."""
    sums = wheelhouse / "SHA256SUMS"
    if base is None or not sums.is_file():
        return 0
    taken = 0
    for line in sums.read_text().splitlines():
        _digest, _, name = line.partition("  ")
        name = name.strip()
        if name and "/" not in name and not (wheelhouse / name).exists() and (base / "wheelhouse" / name).is_file():
            os.link(base / "wheelhouse" / name, wheelhouse / name)
            taken += 1
    return taken
