"""Fixtures of the hand-written HTTP servers' tests: a server started on a free port, a document root
(helpers: tests/unit/www/helpers.py)."""

from pathlib import Path

import pytest

from tests.unit.servers import free_port
from tests.unit.www.helpers import PORT_ENV, PREFIX, READ_TIMEOUT, SCRIPTS


@pytest.fixture
def start_www(start_server):
    """start_www(name, *flags, env=None, cwd=None) -> a running server on a free port, PREFIX set, short timeout."""

    def start(name: str, *flags: str, env: dict | None = None, cwd: Path | None = None):
        port = free_port()
        argv = [SCRIPTS[name], "--host", "127.0.0.1", "--timeout", str(READ_TIMEOUT), *flags]
        return start_server(argv, port, env={"ECHO_PREFIX": PREFIX, PORT_ENV[name]: str(port), **(env or {})}, cwd=cwd)

    return start


@pytest.fixture
def docroot(tmp_path: Path) -> Path:
    """A known document root for ws30 (course.md §2 item 7), and a secret file just outside it."""
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_text("<!DOCTYPE html><html><head><title>fixture</title></head><body>hi</body></html>")
    (root / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (root / "x.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (root / "doc.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (root / "notes.txt").write_text("some notes\n")
    (root / "style.css").write_text("body { color: black }\n")
    (root / "B.txt").write_text("upper case sorts first\n")
    (root / "with space.txt").write_text("spaced\n")
    (root / "<b>.txt").write_text("markup in a name\n")
    (root / ".hidden").write_text("dotfile\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    (root / "sub" / "inner.txt").write_text("inner\n")
    (tmp_path / "secret.txt").write_text("TOPSECRET\n")
    return root
