"""ws30's security fixes (course.md §4 item 16): no path traversal, no dotfiles, only allow-listed scripts run."""

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.unit.servers import children
from tests.unit.www.helpers import parse_response, raw_exchange, request, wait_until

# Sent byte for byte on a raw socket: http.client and curl would normalise some of these away.
TRAVERSALS = [
    b"/../etc/passwd",
    b"/../../../../../../etc/passwd",
    b"/%2e%2e/etc/passwd",
    b"/%2E%2E/%2e%2e/etc/passwd",
    b"/..%2fsecret.txt",
    b"/%2e%2e%2fsecret.txt",
    b"/sub/../../secret.txt",
    b"/sub/%2e%2e/%2e%2e/secret.txt",
    b"/..",
    b"//etc/passwd",
    b"/%2fetc%2fpasswd",
    b"/.%2e/secret.txt",
    b"/..\\secret.txt",
    b"/outside/secret.txt",  # a symlink in the root pointing to the folder above it
    b"/leak.txt",  # a symlink in the root pointing to the secret file
    b"/%00/etc/passwd",
    b"/notes.txt%00.html",
    b"/%ff%fe",
]


@pytest.fixture
def ws30(start_www, docroot):
    (docroot / "outside").symlink_to(docroot.parent)
    (docroot / "leak.txt").symlink_to(docroot.parent / "secret.txt")
    (docroot / "inside.txt").symlink_to(docroot / "notes.txt")  # a symlink within the root is fine
    return start_www("ws30", "--root", str(docroot))


@pytest.mark.parametrize("target", TRAVERSALS, ids=[t.decode() for t in TRAVERSALS])
def test_nothing_outside_the_root_is_served(ws30, target):
    response, body = parse_response(raw_exchange(ws30.port, b"GET " + target + b" HTTP/1.0\r\n\r\n"))
    assert response.status in (400, 403, 404)
    assert b"TOPSECRET" not in body and b"root:" not in body
    assert ws30.alive()


def test_symlink_inside_the_root_is_served(ws30):
    assert request(ws30.port, "/inside.txt")[1] == b"some notes\n"


@pytest.mark.parametrize("path", ["/.hidden", "/.git/config", "/sub/../.hidden", "/%2ehidden"])
def test_dotfiles_are_not_served(ws30, path):
    response, body = parse_response(raw_exchange(ws30.port, b"GET " + path.encode() + b" HTTP/1.0\r\n\r\n"))
    assert response.status in (400, 404)
    assert b"dotfile" not in body and b"[core]" not in body


# Each names the directory `sub`; a Location built from the raw path would send browsers to a host `sub`.
REDIRECTS = [b"//sub", b"///sub", b"/%2fsub", b"http://evil.example//sub", b"//sub?x=//evil.example"]


@pytest.mark.parametrize("target", REDIRECTS, ids=[t.decode() for t in REDIRECTS])
def test_directory_redirect_stays_on_this_host(ws30, target):
    response, _ = parse_response(raw_exchange(ws30.port, b"GET " + target + b" HTTP/1.0\r\n\r\n"))
    assert response.status == 301
    assert response.getheader("Location") == "/sub/"


def test_redirect_of_an_odd_directory_name_is_percent_encoded(start_www, docroot):
    (docroot / "back\\slash").mkdir()
    server = start_www("ws30", "--root", str(docroot))
    response, _ = parse_response(raw_exchange(server.port, b"GET /back\\slash HTTP/1.0\r\n\r\n"))
    assert response.getheader("Location") == "/back%5Cslash/"  # a raw `\\` is `/` to browsers


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "executed"


@pytest.fixture
def scripts_dir(tmp_path: Path, marker: Path) -> Path:
    """An allow-listed scripts folder: one that hangs, one that fails, one that works."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "hang.py").write_text("import time\ntime.sleep(60)\n")
    (scripts / "fail.py").write_text("import sys\nsys.exit('it broke')\n")
    (scripts / "hello.py").write_text("print('hello from a script')\n")
    return scripts


def test_py_outside_the_scripts_dir_is_shown_not_run(start_www, docroot, marker, scripts_dir):
    source = f"open({str(marker)!r}, 'w').write('ran')\nprint('pwned')\n"
    (docroot / "evil.py").write_text(source)
    (docroot / "sub" / "hello.py").write_text(source)  # same name as an allow-listed script, but in the docroot
    server = start_www("ws30", "--root", str(docroot), "--scripts", str(scripts_dir))
    for path in ("/evil.py", "/sub/hello.py"):
        response, body = request(server.port, path)
        assert response.status == 200
        assert response.getheader("Content-Type").startswith("text/plain")
        assert body.decode() == source
    assert not marker.exists()  # a script runs before its reply is sent: none ran


def test_allow_listed_script_runs(start_www, docroot, scripts_dir):
    server = start_www("ws30", "--root", str(docroot), "--scripts", str(scripts_dir))
    assert request(server.port, "/hello.py")[1] == b"hello from a script\n"
    assert request(server.port, "/print_time.py")[0].status == 404  # not in this scripts folder, nor in the root


def test_hanging_script_is_killed_at_the_timeout(start_www, docroot, scripts_dir):
    server = start_www("ws30", "--root", str(docroot), "--scripts", str(scripts_dir), "--script-timeout", "1")
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        reply = pool.submit(request, server.port, "/hang.py")
        # The script's pid from the moment it is forked, however long its interpreter then takes to start.
        assert wait_until(lambda: children(server.proc.pid)), "the script never started"
        [pid] = children(server.proc.pid)
        response, _ = reply.result(timeout=10)
    elapsed = time.monotonic() - started
    assert response.status == 504
    assert 0.9 <= elapsed < 5
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped, not left sleeping
    server.wait_for_log("script hang.py killed after 1s")
    assert request(server.port, "/hello.py")[0].status == 200


def test_failing_script_is_500_not_empty_200(start_www, docroot, scripts_dir):
    server = start_www("ws30", "--root", str(docroot), "--scripts", str(scripts_dir))
    response, _ = request(server.port, "/fail.py")
    assert response.status == 500
    server.wait_for_log("script fail.py exited 1: it broke")


def test_scripts_can_be_switched_off(start_www, docroot):
    server = start_www("ws30", "--root", str(docroot), "--no-scripts")
    assert request(server.port, "/print_time.py")[0].status == 404
