"""`stacklab-webclient download` (course §1.10 download.py; checks §2 item 15, defect §4 item 14)."""

import re
from pathlib import PurePosixPath

import pytest
from stacklab_webclient.download import local_path

from tests.unit.webclient.helpers import COURSE_DIR, run_client

AVAILABLE = 8  # .py links on the stand-in course page


def saved_files(dest):
    return sorted(path.relative_to(dest).as_posix() for path in dest.rglob("*") if path.is_file())


def reported_count(stdout: str) -> int:
    return int(re.search(r"^(\d+) of \d+ files saved", stdout, re.MULTILINE)[1])


@pytest.mark.parametrize("limit", [1, 3, AVAILABLE, 50])
def test_count_is_min_of_limit_and_available(site, tmp_path, limit):
    dest = tmp_path / "dl"
    result = run_client(
        "download", f"{site}/winter_2012/index.html", "--suffix", ".py", "--limit", str(limit), "--dest", str(dest)
    )
    assert result.returncode == 0, result.stderr
    files = saved_files(dest)
    assert len(files) == min(limit, AVAILABLE)
    assert reported_count(result.stdout) == len(files)
    assert all(name.endswith(".py") for name in files)
    assert result.stdout.count("saved ") - 1 == len(files)  # one line per file, then the total


def test_files_keep_their_paths_and_bytes(site, tmp_path):
    """week01/echo_client.py and week02/echo_client.py both survive (the course saved by basename)."""
    result = run_client("download", f"{site}/winter_2012/index.html", "--suffix", ".py", "--dest", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "week01/echo_client.py" in saved_files(tmp_path) and "week02/echo_client.py" in saved_files(tmp_path)
    for name in saved_files(tmp_path):
        assert (tmp_path / name).read_bytes() == (COURSE_DIR / name).read_bytes()


def test_failures_are_reported_and_not_counted(site_of, tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    (root / "a.py").write_text("print('a')\n")
    (root / "c.py").write_text("print('c')\n")
    (root / "index.html").write_text('<a href="a.py">a</a> <a href="gone.py">b</a> <a href="c.py">c</a>')
    base = site_of(root)
    dest = tmp_path / "dl"
    result = run_client("download", f"{base}/index.html", "--suffix", ".py", "--limit", "3", "--dest", str(dest))
    assert result.returncode == 1
    assert saved_files(dest) == ["a.py", "c.py"]  # the failure did not stop the rest, and left no partial file
    assert "2 of 3 files saved" in result.stdout and "1 failed" in result.stdout
    assert f"failed {base}/gone.py: HTTP 404" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_matching_links(site, tmp_path):
    result = run_client("download", f"{site}/winter_2012/index.html", "--suffix", ".zip", "--dest", str(tmp_path))
    assert result.returncode == 0
    assert "0 of 0 files saved" in result.stdout
    assert saved_files(tmp_path) == []


def test_limit_must_be_positive(site, tmp_path):
    result = run_client("download", f"{site}/winter_2012/index.html", "--limit", "0")
    assert result.returncode == 2
    assert "must be 1 or more" in result.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://h/w/week01/a.py", "week01/a.py"),
        ("http://h/w/a%20b.py", "a b.py"),
        ("http://h/w/..%2f..%2fetc%2fpasswd.py", ".._.._etc_passwd.py"),
        ("http://h/w/%2e%2e/%2e%2e/x.py", "x.py"),
        ("http://h/other/x.py", "h/other/x.py"),
        ("http://evil/../../x.py", "evil/x.py"),
        ("http://h/w/dir/", "dir/index.html"),
    ],
)
def test_local_path_stays_inside_the_destination(url, expected):
    path = local_path(url, "http://h/w/index.html")
    assert path == PurePosixPath(expected)
    assert not path.is_absolute() and ".." not in path.parts
