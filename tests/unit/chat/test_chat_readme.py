"""The transcripts in services/chat/README.md ("Expected result") match what the server and client do.

Peer ports differ from run to run and are compared as `<port>`. `nc` is emulated with a socket.
"""

import re
import socket
import time
from pathlib import Path

from tests.unit.chat.helpers import ChatProcess, Peer
from tests.unit.servers import free_port

README = (Path(__file__).parents[3] / "services" / "chat" / "README.md").read_text()
# "$ command", then its output up to the next command or the end of the code block
TRANSCRIPTS = dict(re.findall(r"^\$ ([^\n]+)\n(.*?)(?=^\$ |^```)", README, re.M | re.S))
NC = "(printf 'hi everyone\\n'; sleep 0.3) | nc -N 127.0.0.1 50004"
CLIENT = "uv run stacklab-chat 127.0.0.1"


def normalise(text: str, port: int) -> list[str]:
    """Output lines without prompts, with the server's port as in the README and peer ports as <port>."""
    text = re.sub(r"\('127\.0\.0\.1', \d+\)", "('127.0.0.1', <port>)", text.replace(str(port), "50004"))
    lines = (re.sub(r"^(> ?)+", "", line) for line in text.splitlines())
    return [line for line in lines if line]


def test_readme_shows_nc_and_the_bundled_client():
    assert set(TRANSCRIPTS) == {NC, CLIENT}


def test_nc_transcript(start_server):
    port = free_port()
    start_server(["stacklab-chat-server", "--port", str(port)], port, env={"ECHO_PREFIX": "uw-student"})
    with Peer(port) as nc:
        nc.sock.sendall(b"hi everyone\n")
        time.sleep(0.3)
        nc.sock.shutdown(socket.SHUT_WR)
        assert normalise(b"".join(nc.lines(5)).decode(), port) == normalise(TRANSCRIPTS[NC], port)


def test_client_transcript(start_server):
    port = free_port()
    start_server(["stacklab-chat-server", "--port", str(port)], port, env={"ECHO_PREFIX": "uw-student"})
    typed = re.findall(r"^> (\S.*)$", TRANSCRIPTS[CLIENT], re.M)  # what the user typed in the first terminal
    assert typed == ["hello"]
    with ChatProcess(port) as client, Peer(port) as other_terminal:
        client.wait_for_output("> ")
        client.type("hello\n")
        client.wait_for_output(": hello\n")
        other_terminal.say(b"hi, I am the other terminal")
        client.wait_for_output(": hi, I am the other terminal\n")
        client.type("\n")
        status, out, _ = client.finish()
    assert status == 0
    expected = [line for line in normalise(TRANSCRIPTS[CLIENT], port) if line not in typed]
    assert normalise(out, port) == expected
