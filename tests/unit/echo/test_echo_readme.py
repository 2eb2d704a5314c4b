"""The transcripts in services/echo/README.md ("Expected result") match what the servers and clients do.

`nc` is emulated with a socket (send each printf'd piece, half-close, read to the end), so the test needs no nc.
Interactive client transcripts show the typed lines (`> one`); piped, the same session prints `> ` then the reply.
"""

import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.unit.echo.helpers import connect, recv_to_close
from tests.unit.servers import BIN, free_port

README = (Path(__file__).parents[3] / "services" / "echo" / "README.md").read_text()
# "$ command", then its output up to the next command or the end of the code block
TRANSCRIPTS = re.findall(r"^\$ ([^\n]+)\n(.*?)(?=^\$ |^```)", README, re.M | re.S)
SERVERS = {"50000": "stacklab-echo-server", "50002": "stacklab-recho-server", "50003": "stacklab-echo-select"}


def test_readme_shows_every_server_with_nc_and_a_bundled_client():
    commands = [command for command, _ in TRANSCRIPTS]
    for port in SERVERS:
        assert any("| nc " in c and c.endswith(port) for c in commands), port
    assert any("stacklab-echo-client" in c for c in commands)
    assert any("stacklab-recho" in c for c in commands)


@pytest.mark.parametrize(("command", "expected"), TRANSCRIPTS, ids=[c for c, _ in TRANSCRIPTS])
def test_transcript(start_server, command, expected):
    default_port = _default_port(command)
    port = free_port()
    start_server([SERVERS[default_port], "--port", str(port)], port, env={"ECHO_PREFIX": "uw-student"})
    if "| nc " in command:
        actual = _nc(port, [p.encode().decode("unicode_escape") for p in re.findall(r"printf '([^']*)'", command)])
    else:
        argv = command.removeprefix("uv run ").replace(" 50003", "").split()
        if argv[0] == "stacklab-echo-client":
            argv.insert(2, str(port))  # after the host
            argv = [*argv[:3], "-m", re.search(r"-m '([^']*)'", command).group(1)]
            typed = ""
        else:
            argv.append(str(port))
            typed = "".join(f"{line}\n" for line in re.findall(r"^> (.+)$", expected, re.M)) + "\n"
            expected = re.sub(r"^> .+\n", "> ", expected, flags=re.M)  # piped: prompt, then straight the reply
        result = subprocess.run(
            [str(BIN / argv[0]), *argv[1:]], input=typed, capture_output=True, text=True, timeout=10
        )
        assert result.returncode == 0, result.stderr
        actual = result.stdout
    assert actual.replace(str(port), default_port).rstrip() == expected.rstrip()


def _default_port(command: str) -> str:
    if found := re.search(r"\b(5000[023])\b", command):
        return found.group(1)
    return "50000" if "echo-client" in command else "50002"


def _nc(port: int, pieces: list[str]) -> str:
    """The README's `sleep 0.3` keeps the pieces apart, so each is echoed with its own prefix; here each piece
    waits for its echo instead, which keeps them apart on any machine."""
    received = b""
    with connect(port) as sock:
        for piece in pieces:
            sock.sendall(piece.encode())
            received += _recv_until_ends_with(sock, received, piece.encode())
        sock.shutdown(socket.SHUT_WR)
        return (received + recv_to_close(sock)).decode()


def _recv_until_ends_with(sock: socket.socket, before: bytes, end: bytes, timeout: float = 5.0) -> bytes:
    """What arrives until everything received ends with `end`, the server closes or `timeout` passes."""
    deadline = time.monotonic() + timeout
    data = b""
    while not (before + data).endswith(end) and (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            break
        data += chunk
    return data
