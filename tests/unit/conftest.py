"""Fixtures shared by the services' unit tests: real servers, started from their console scripts on 127.0.0.1."""

import shutil
import tempfile
from pathlib import Path

import pytest

from tests.unit.servers import Server


@pytest.fixture
def start_server():
    """start_server(argv, port, env=None, cwd=None) -> Server; every server is stopped after the test."""
    servers: list[Server] = []

    def start(argv: list[str], port: int, env: dict[str, str] | None = None, cwd: Path | None = None) -> Server:
        server = Server(argv, port, env, cwd)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
        server.log_path.unlink(missing_ok=True)


@pytest.fixture
def readable_tmp_dir():
    """readable_tmp_dir(prefix) -> a new directory (mode 0755) outside pytest's tmp_path, removed after the test:
    servers whose workers drop root (Apache, nginx as www-data) cannot enter tmp_path, which is 0700."""
    made: list[Path] = []

    def make(prefix: str) -> Path:
        path = Path(tempfile.mkdtemp(prefix=prefix))
        path.chmod(0o755)
        made.append(path)
        return path

    yield make
    for path in made:
        shutil.rmtree(path, ignore_errors=True)
