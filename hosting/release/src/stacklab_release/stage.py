"""Virtualenvs are made and patched by `nobody` in a staging folder, and root takes the result as files.

pip runs under the venv's own interpreter (`pip --python VENV`), which processes every `.pth` file in the venv's
site-packages at start: a venv patched from the previous release runs that release's code. So root never runs pip,
nor any interpreter of a venv: `nobody` does, in a folder of its own, and root then copies what it finds there into
the release, reading each file through a descriptor opened without following links (a link that `nobody`
planted, or swapped in meanwhile, never makes root read another file), and hard-linking the files `nobody` left
untouched from the base release's venv.
"""

from __future__ import annotations

import ensurepip
import os
import re
import stat
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from stacklab_release.reuse import clone_tree, patch_venv
from stacklab_release.site import Failure, Site, run, unprivileged


def find_pip(python: str, tmp: Path, drop: dict, env: dict[str, str]) -> list[str]:
    """One pip for every venv (`pip --python VENV`), so that venvs are made without pip: 0.1 s each instead of 4 s.
    The pip wheel that venv's ensurepip bundles runs as it is (`python pip.whl/pip`); else a throwaway venv's."""
    bundled = [
        *Path("/usr/share/python-wheels").glob("pip-*.whl"),
        *Path(ensurepip.__file__).parent.glob("_bundled/pip-*.whl"),
    ]
    for wheel in bundled:
        version = tuple(int(part) for part in re.findall(r"\d+", wheel.name.split("-")[1])[:2])
        if version >= (22, 3):  # `--python` appeared in pip 22.3
            return [python, str(wheel / "pip")]
    run([python, "-m", "venv", str(tmp)], "bootstrap pip venv", env=env, **drop)
    return [str(tmp / "bin" / "python"), "-m", "pip"]


def make_venv(python, app, stage, pip, wheelhouse, constraints_file, drop, env) -> None:
    venv = stage / "venvs" / app
    run([python, "-m", "venv", "--without-pip", str(venv)], f"{app}: venv", env=env, **drop)
    run(
        [*pip, "--python", str(venv / "bin" / "python"), "install", "--quiet", "--disable-pip-version-check",
         "--no-index", "--find-links", str(wheelhouse), "--only-binary", ":all:", "-c", str(constraints_file),
         f"stacklab-{app}"],
        f"{app}: pip install (offline, from the wheelhouse)", env=env, **drop,
    )  # fmt: skip


def hand_over(top: Path, drop: dict) -> None:
    """Make the folders under top (root's, nobody else can enter yet) nobody's; files stay root's (pip replaces
    files, never writes into them). top itself last: until then no other process can reach what is below."""
    if not drop:
        return
    for folder, dirs, _files in os.walk(top):
        for name in dirs:
            path = Path(folder) / name
            if not path.is_symlink():
                os.chown(path, drop["user"], drop["group"])
    os.chown(top, drop["user"], drop["group"])


def build_venvs(site: Site, dest: Path, base, fresh, patched, wheelhouse: Path, pins: Path) -> None:
    """venvs/<app> of dest: made anew for `fresh` apps, the base release's with the changed wheels replaced for
    `patched` ones ({app: wheels}); each built by nobody, then taken by root (take_venv)."""
    drop = unprivileged()
    # Under the site root, not $TMPDIR: pam_tmpdir (the hardening role) gives root a /tmp/user/0 nobody cannot enter.
    with tempfile.TemporaryDirectory(prefix=".build-", dir=site.root) as tmp:
        stage = Path(tmp)
        (stage / "venvs").mkdir()
        (stage / "tmp").mkdir()
        for app in patched:
            clone_tree(base / "venvs" / app, stage / "venvs" / app)
        hand_over(stage, drop)
        env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8",
            "HOME": str(stage),
            "TMPDIR": str(stage / "tmp"),
            "PIP_NO_CACHE_DIR": "1",
        }
        pip = find_pip(site.python, stage / "pip", drop, env)
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            jobs = [pool.submit(make_venv, site.python, a, stage, pip, wheelhouse, pins, drop, env) for a in fresh]
            jobs += [pool.submit(patch_venv, pip, a, stage, w, drop=drop, env=env) for a, w in patched.items()]
            for job in jobs:
                job.result()
        for app in [*fresh, *patched]:
            take_venv(stage / "venvs" / app, dest / "venvs" / app, base / "venvs" / app if app in patched else None)


def take_venv(src: Path, dst: Path, base: Path | None) -> None:
    """Copy the venv nobody built at src into dst as root's files. A file that is still the base venv's (the same
    inode as at the same place there) becomes a hard link to it; any other is copied, its mode reduced to 0644 or
    0755 and its times kept (Python checks a .pyc against its source's mtime). The paths of src in bin/ and
    pyvenv.cfg become dst's. Links are kept as links where venv makes them (bin/, lib64) and refused elsewhere;
    anything else (a FIFO, a device) is refused."""
    old, new = str(src).encode(), str(dst).encode()
    for folder, dirs, files, dirfd in os.fwalk(src, follow_symlinks=False):
        rel = Path(folder).relative_to(src)
        out = dst / rel
        out.mkdir(mode=0o755, parents=rel == Path("."), exist_ok=False)
        for name in [*dirs, *files]:
            st = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                if rel.parts[:1] != ("bin",) and (rel, name) != (Path("."), "lib64"):
                    raise Failure(f"{src.name}: {rel / name}: a link where a venv has none")
                os.symlink(os.readlink(name, dir_fd=dirfd), out / name)
                if name in dirs:
                    dirs.remove(name)  # never walked into
            elif name in files:
                # only these name the venv's own path (a .pyc names it too, but Python corrects that on import)
                rewrite = (old, new) if rel == Path("bin") or (rel, name) == (Path("."), "pyvenv.cfg") else None
                take_file(dirfd, name, out / name, base / rel / name if base else None, rewrite)
            elif not stat.S_ISDIR(st.st_mode):
                raise Failure(f"{src.name}: {rel / name}: not a regular file, folder or link")


def take_file(dirfd: int, name: str, target: Path, before: Path | None, rewrite: tuple[bytes, bytes] | None) -> None:
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dirfd)
    with os.fdopen(fd, "rb") as source:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Failure(f"{target}: not a regular file where the venv was built")
        if before is not None:
            try:
                unchanged = os.path.samestat(st, os.lstat(before))
            except FileNotFoundError:
                unchanged = False
            if unchanged:
                os.link(before, target, follow_symlinks=False)
                return
        data = source.read()
    if rewrite:
        data = data.replace(*rewrite)
    with open(target, "xb") as out:
        out.write(data)
    os.chmod(target, 0o755 if st.st_mode & 0o111 else 0o644)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
