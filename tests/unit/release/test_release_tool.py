"""The release tool (stacklab_release) by import, in a temporary root (no systemd here: the unit steps run on a
stand-in, in tests/deploy). Real venvs, real offline pip installs from a small wheelhouse of generated wheels."""

import hashlib
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from stacklab_release import switch, tool, units
from stacklab_release.install import constraints, copy_regular_tree, install
from stacklab_release.site import Failure, Site, inputs_of, link_target, read_release_file, releases, served_file

from tests.unit.release.wheels import make_wheel


@pytest.fixture
def site(tmp_path) -> Site:
    return Site(root=tmp_path / "srv", python=sys.executable)


@pytest.fixture
def cli(site, capsys):
    """`stacklab-release ARGS` by import: (exit status, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()  # only this command's output
        status = tool.main(list(args), site)
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.fixture
def wheelhouse(tmp_path):
    def make(version: str, body: str = "", apps=("echo", "chat")) -> Path:
        folder = tmp_path / f"wh-{version}"
        folder.mkdir()
        for app in apps:
            make_wheel(folder, app, version, body or f'VERSION = "{version}"\n')
        (folder / "requirements.txt").write_text("")
        (folder / "RELEASE").write_text(f"STACKLAB_STACKS={','.join(apps)}\n")  # as stacklab_deploy.build writes it
        return folder

    return make


def current_version(site: Site, app="echo") -> str:
    python = site.current / "venvs" / app / "bin" / "python"
    out = subprocess.run([str(python), "-c", f"import stacklab_{app}; print(stacklab_{app}.VERSION)"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return out.stdout.strip()


def test_install_refuses_a_release_that_names_no_stacks(site, wheelhouse):
    folder = wheelhouse("1.0")
    (folder / "RELEASE").unlink()
    with pytest.raises(Failure, match="names no STACKLAB_STACKS"):
        install(site, str(folder), "20250101T000000-aaaaaaa")


def test_install_activate_switch_and_rollback(site, cli, wheelhouse):
    install(site, str(wheelhouse("1.0")), "20250101T000000-aaaaaaa")
    assert cli("current")[0] == 1  # installed is not active
    switch.activate(site, "20250101T000000-aaaaaaa")
    assert current_version(site) == "1.0"
    release = site.releases / "20250101T000000-aaaaaaa"
    assert (release / "venvs" / "chat").is_dir()
    assert read_release_file(release / "RELEASE")["STACKLAB_RELEASE"] == "20250101T000000-aaaaaaa"

    install(site, str(wheelhouse("2.0")), "20250102T000000-bbbbbbb")
    switch.activate(site, "20250102T000000-bbbbbbb")
    assert current_version(site) == "2.0"
    assert os.readlink(site.current) == "releases/20250102T000000-bbbbbbb"  # relative, one rename
    assert cli("previous") == (0, "20250101T000000-aaaaaaa\n", "")
    _status, out, _err = cli("list")
    assert [line.split()[:2] for line in out.splitlines()] == [
        ["-", "20250101T000000-aaaaaaa"],
        ["*", "20250102T000000-bbbbbbb"],
    ]

    assert cli("rollback")[0] == 0
    assert current_version(site) == "1.0"
    assert link_target(site.previous) == "20250102T000000-bbbbbbb"


# A stand-in for Django's manage.py: records what collectstatic was run with, in the static root it was given.
FAKE_MANAGE = """import os, sys
from pathlib import Path


def main():
    seen = [" ".join(sys.argv[1:]), os.environ.get("DJANGO_SECRET_KEY", ""), os.environ.get("DATABASE_URL", "")]
    (Path(os.environ["DJANGO_STATIC_ROOT"]) / "seen.txt").write_text("\\n".join(seen) + "\\n")
"""


def test_install_collects_django_static_files_with_throwaway_settings(site, tmp_path, monkeypatch):
    folder = tmp_path / "wh-django"
    folder.mkdir()
    scripts = "[console_scripts]\nstacklab-django-manage = stacklab_django:main\n"
    make_wheel(folder, "django", "1.0", FAKE_MANAGE, entry_points=scripts)
    (folder / "requirements.txt").write_text("")
    (folder / "RELEASE").write_text("STACKLAB_STACKS=django\n")
    monkeypatch.setenv("DJANGO_SECRET_KEY", "the-real-key")  # never handed to collectstatic
    monkeypatch.setenv("DATABASE_URL", "postgres://real@db.example/real")
    install(site, str(folder), "20250101T000000-ccccccc")
    static = site.releases / "20250101T000000-ccccccc" / "static" / "django"
    command, key, database = (static / "seen.txt").read_text().splitlines()
    assert command == "collectstatic --noinput"
    assert len(key) >= 50 and key != "the-real-key"
    assert database == "postgres://collectstatic@localhost/unused"


def test_what_an_unprivileged_process_wrote_is_copied_without_following_links(tmp_path):
    src, dest = tmp_path / "written", tmp_path / "release"
    (src / "css").mkdir(parents=True)
    (src / "css" / "site.css").write_text("body {}\n")
    copy_regular_tree(src, dest)
    assert (dest / "css" / "site.css").read_text() == "body {}\n"
    secret = tmp_path / "secret"
    secret.write_text("root's alone\n")
    (src / "css" / "leak.css").symlink_to(secret)
    with pytest.raises(Failure, match=r"leak\.css: not a regular file"):
        copy_regular_tree(src, tmp_path / "again")
    assert not (tmp_path / "again" / "css" / "leak.css").exists()


def test_install_from_a_tarball_verifies_checksums(site, cli, wheelhouse, tmp_path):
    folder = wheelhouse("1.0", apps=("echo",))
    sums = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}" for p in sorted(folder.iterdir())]
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    good = tmp_path / "good.tar.gz"
    with tarfile.open(good, "w:gz") as tar:
        tar.add(folder, arcname="wheelhouse")
    assert cli("install", str(good), "20250101T000000-aaaaaaa")[0] == 0

    wheel = next(folder.glob("*.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"corrupt")
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(bad, "w:gz") as tar:
        tar.add(folder, arcname="wheelhouse")
    status, _out, err = cli("install", str(bad), "20250102T000000-bbbbbbb")
    assert status == 1 and "checksum mismatch" in err
    assert not (site.releases / "20250102T000000-bbbbbbb").exists()  # nothing half-made is left


def test_install_is_idempotent_and_a_failed_install_leaves_nothing(site, cli, wheelhouse, tmp_path):
    source = wheelhouse("1.0", apps=("echo",))
    assert cli("install", str(source), "20250101T000000-aaaaaaa")[0] == 0
    status, out, _err = cli("install", str(source), "20250101T000000-aaaaaaa")
    assert status == 0 and "already installed" in out

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "stacklab_echo-1.0-py3-none-any.whl").write_bytes(b"not a zip")
    (broken / "RELEASE").write_text("STACKLAB_STACKS=echo\n")
    status, _out, err = cli("install", str(broken), "20250102T000000-bbbbbbb")
    assert status == 1 and "pip install" in err and "Traceback" not in err
    assert not (site.releases / "20250102T000000-bbbbbbb").exists()
    assert releases(site) == ["20250101T000000-aaaaaaa"]


def test_an_interrupted_install_is_redone_and_never_listed(site, wheelhouse):
    half = site.releases / "20250101T000000-aaaaaaa"
    (half / "venvs").mkdir(parents=True)  # what a killed install leaves: no RELEASE
    assert releases(site) == []
    with pytest.raises(Failure, match="not installed"):
        switch.activate(site, "20250101T000000-aaaaaaa")
    install(site, str(wheelhouse("1.0", apps=("echo",))), "20250101T000000-aaaaaaa")
    assert releases(site) == ["20250101T000000-aaaaaaa"]


def installed(site: Site, *names: str) -> None:
    """Releases as `install` leaves them, minus the venvs (what list, prune and remove look at)."""
    for name in names:
        (site.releases / name).mkdir(parents=True)
        (site.releases / name / "RELEASE").write_text(f"STACKLAB_RELEASE={name}\n")


def test_prune_keeps_the_newest_and_never_current_or_previous(site):
    names = [f"2025010{day}T000000-aaaaaa{day}" for day in range(1, 6)]
    installed(site, *names)
    (site.releases / "20250106T000000-unfinished").mkdir()
    switch.activate(site, names[0])
    switch.activate(site, names[1])  # current = 2nd oldest, previous = oldest
    switch.prune(site, 2)
    assert releases(site) == [names[0], names[1], names[3], names[4]]
    assert not (site.releases / "20250106T000000-unfinished").exists()


def test_prune_keeps_a_release_a_running_unit_was_started_from(site):
    """A unit left running by `reload` (its app unchanged) may hold paths in the release it started from."""
    names = [f"2025010{day}T000000-aaaaaa{day}" for day in range(1, 6)]
    installed(site, *names)
    switch.activate(site, names[3])
    switch.activate(site, names[4])
    served_file(site).write_text(f"stacklab-ws30=0123abcd {names[1]}\n")
    switch.prune(site, 1)
    assert releases(site) == [names[1], names[3], names[4]]


def test_remove_refuses_current_and_repoints_previous(site, cli):
    for name in ("20250101T000000-aaaaaaa", "20250102T000000-bbbbbbb", "20250103T000000-ccccccc"):
        installed(site, name)
        switch.activate(site, name)
    status, _out, err = cli("remove", "20250103T000000-ccccccc")
    assert status == 1 and "is current" in err
    switch.remove(site, "20250102T000000-bbbbbbb")  # the previous one: previous falls back to the newest other
    assert link_target(site.previous) == "20250101T000000-aaaaaaa"


@pytest.mark.parametrize(
    "args", [["activate", "../etc"], ["activate", "20990101T000000-none"], ["install", "EMPTY", "x"], ["prune", "0"]]
)
def test_bad_input_is_one_clear_line(cli, tmp_path, args):
    args = [str(tmp_path) if arg == "EMPTY" else arg for arg in args]  # a folder without wheels
    status, _out, err = cli(*args)
    assert status == 1
    assert err.startswith("stacklab-release: error: ") and len(err.splitlines()) == 1


def test_site_comes_from_the_environment():
    site = Site.from_env({"STACKLAB_ROOT": "/tmp/lab", "STACKLAB_UNIT_PREFIX": "lab-"})
    assert (site.current, site.python, site.unit_prefix) == (Path("/tmp/lab/current"), "python3", "lab-")
    assert Site.from_env({}).releases == Path("/srv/stacklab/releases")


# ---------------------------------------------------------------- what the unit steps are made of


SHOW_EXEC_START = (  # `systemctl show -p ExecStart` of a gunicorn unit, as systemd 257 prints it
    "{ path=/srv/stacklab/current/venvs/flask/bin/python ; argv[]=/srv/stacklab/current/venvs/flask/bin/python -m "
    "gunicorn -c /srv/stacklab/current/conf/flask/gunicorn.conf.py 'stacklab_flask.wsgi:app' ; ignore_errors=no ; "
    "start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"
)


def test_exec_argv_and_in_release_point_a_unit_at_a_new_release():
    argv = units.exec_argv({"ExecStart": [SHOW_EXEC_START]})
    assert argv == [
        "/srv/stacklab/current/venvs/flask/bin/python", "-m", "gunicorn",
        "-c", "/srv/stacklab/current/conf/flask/gunicorn.conf.py", "stacklab_flask.wsgi:app",
    ]  # fmt: skip
    current = Path("/srv/stacklab/current")
    assert units.runs_from(current, argv)
    assert not units.runs_from(current, ["/usr/sbin/nginx", "-g", "daemon off;"])
    assert not units.runs_from(current, ["/srv/stacklab/current-old/venvs/x/bin/python"])
    moved = units.in_release(current, argv, Path("/srv/stacklab/releases/R"))
    assert moved[0] == "/srv/stacklab/releases/R/venvs/flask/bin/python"
    assert moved[4] == "/srv/stacklab/releases/R/conf/flask/gunicorn.conf.py" and moved[5] == argv[5]
    assert units.exec_argv({}) == []


def test_constraints_drop_hashes_and_options(tmp_path):
    (tmp_path / "requirements.txt").write_text(
        "# exported by uv\n-e ./services/echo\nflask==3.1.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n"
        "gunicorn==23.0.0 ; python_full_version >= '3.11' \\\n    --hash=sha256:cc\n"
    )
    assert constraints(tmp_path).read_text().splitlines() == [
        "flask==3.1.0",
        "gunicorn==23.0.0 ; python_full_version >= '3.11'",
    ]


def test_read_release_file_takes_key_value_lines(tmp_path):
    path = tmp_path / "RELEASE"
    path.write_text("# a comment\nSTACKLAB_VERSION = v1-3-gabc \n\nnot a pair\nSTACKLAB_GIT_SHA=abc=def\n")
    assert read_release_file(path) == {"STACKLAB_VERSION": "v1-3-gabc", "STACKLAB_GIT_SHA": "abc=def"}
    assert read_release_file(tmp_path / "missing") == {}


def test_children_finds_a_process_s_children():
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        assert child.pid in units.children(os.getpid())
    finally:
        child.communicate(b"")
    assert child.pid not in units.children(os.getpid())


def test_install_reuses_what_did_not_change_and_takes_missing_wheels_from_current(site, cli, wheelhouse, tmp_path):
    """Release 2 changes chat's code only; echo's wheel is rebuilt (another zip, the same files) and left out of
    the upload, as fab does: echo's venv is release 1's, as hard links; chat's is release 1's with its changed
    wheel installed over it; both run the right code, also once release 1 is gone."""
    first = wheelhouse("1.0")
    install(site, str(first), "20250101T000000-aaaaaaa")
    switch.activate(site, "20250101T000000-aaaaaaa")
    old = site.releases / "20250101T000000-aaaaaaa"

    second = tmp_path / "wh-second"
    second.mkdir()
    echo_again = make_wheel(second, "echo", "1.0", 'VERSION = "1.0"\n')
    os.utime(echo_again, (0, 0))
    make_wheel(second, "chat", "1.0", 'VERSION = "1.0-changed"\n')
    (second / "requirements.txt").write_text("")
    (second / "RELEASE").write_text("STACKLAB_STACKS=echo,chat\n")
    echo_name = echo_again.name
    sums = [f"{hashlib.sha256((old / 'wheelhouse' / echo_name).read_bytes()).hexdigest()}  {echo_name}"]
    sums += [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}" for p in sorted(second.glob("stacklab_chat*"))]
    (second / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    echo_again.unlink()  # the host has it: not uploaded
    upload = tmp_path / "partial.tar.gz"
    with tarfile.open(upload, "w:gz") as tar:
        tar.add(second, arcname="wheelhouse")
    status, out, err = cli("install", str(upload), "20250102T000000-bbbbbbb")
    assert status == 0, err
    assert "1 unchanged wheel(s) taken from release 20250101T000000-aaaaaaa" in out
    assert "reused the venvs of echo" in out
    assert "chat: the base venv with stacklab_chat-1.0-py3-none-any.whl replaced" in out  # a code change: patched
    new = site.releases / "20250102T000000-bbbbbbb"

    def package(release: Path, app: str) -> Path:
        return next((release / "venvs" / app / "lib").glob(f"python3*/site-packages/stacklab_{app}/__init__.py"))

    assert package(new, "echo").stat().st_ino == package(old, "echo").stat().st_ino  # a hard link, not a copy
    assert package(new, "chat").stat().st_ino != package(old, "chat").stat().st_ino
    assert str(old) not in (new / "venvs" / "echo" / "pyvenv.cfg").read_text() + "".join(
        p.read_text(errors="replace") for p in (new / "venvs" / "echo" / "bin").iterdir() if not p.is_symlink()
    )
    assert inputs_of(new, "echo") == inputs_of(old, "echo") != ""
    assert inputs_of(new, "chat") != inputs_of(old, "chat")
    switch.activate(site, "20250102T000000-bbbbbbb")
    switch.remove(site, "20250101T000000-aaaaaaa")  # the reused venv needs nothing of release 1's folder
    assert current_version(site, "chat") == "1.0-changed"
    assert current_version(site, "echo") == "1.0"
