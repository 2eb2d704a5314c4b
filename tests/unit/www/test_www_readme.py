"""The `curl -i` transcripts in services/www/README.md ("Expected result") match what the servers answer."""

import re
from pathlib import Path

import pytest

from tests.unit.www.helpers import raw_exchange

README = Path(__file__).parents[3] / "services" / "www" / "README.md"
# "$ curl -i [--path-as-is] URL", then its output up to the next command or the end of the code block
TRANSCRIPT = re.compile(
    r"^\$ curl -i (?:--path-as-is )?'?http://127\.0\.0\.1:(\d+)(\S*?)'?\n(.*?)(?=^\$ |^```)", re.M | re.S
)
SERVERS = {"8081": ("hello_www",), "8082": ("echo_www",), "8080": ("ws30", "--demo")}
TRANSCRIPTS = TRANSCRIPT.findall(README.read_text())


def normalise(text: str) -> str:
    text = re.sub(r"^Date: .*$", "Date: -", text.replace("\r\n", "\n"), flags=re.M)
    text = re.sub(r"^X-Request-ID: [0-9a-f]{32}$", "X-Request-ID: -", text, flags=re.M)  # a new one each time
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+|\d{10}\.\d+", "<time>", text).rstrip()


def test_readme_has_transcripts_for_every_server():
    assert {port for port, _, _ in TRANSCRIPTS} == set(SERVERS)


@pytest.mark.parametrize(("port", "path", "expected"), TRANSCRIPTS, ids=[p + t for p, t, _ in TRANSCRIPTS])
def test_transcript(start_www, port, path, expected):
    server = start_www(*SERVERS[port], env={"ECHO_PREFIX": "uw-student"})
    data = raw_exchange(server.port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    actual = normalise(data.decode())
    expected = normalise(expected)
    if "<time>" in expected:  # the same shape, with times that differ from run to run
        assert re.sub(r"Content-Length: \d+", "", actual) == re.sub(r"Content-Length: \d+", "", expected)
    else:
        assert actual == expected
