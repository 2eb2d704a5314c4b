"""docs/exercises.md, "Read the hints": its example servers, run as a student would, get exactly the output and
the exit status the page shows (client ports aside: the kernel picks them)."""

import re
import subprocess
import sys
from pathlib import Path

from tests.unit.grading.helpers import wait_listening
from tests.unit.servers import BIN, free_port

# The servers' section only: other sections (clients: test_docs_clients.py) have their own programs and transcripts.
DOC = (Path(__file__).parents[3] / "docs" / "exercises.md").read_text().split("\n## Check your client\n")[0]
SERVERS = re.findall(r"```python\n(.*?)```", DOC, re.S)
TRANSCRIPTS = re.findall(r"^\$ uv run (stacklab-check [^\n]+)\n(.*?)\n```", DOC, re.M | re.S)
CLIENT_PORT = re.compile(r"connected from 127\.0\.0\.1:\d+")


def test_the_page_shows_two_servers_and_three_transcripts():
    assert len(SERVERS) == 2
    assert [expected.splitlines()[-1] for _, expected in TRANSCRIPTS] == [
        "6 passed, 0 failed, 0 not run",
        "0 passed, 1 failed, 5 not run",
        "1 passed, 1 failed, 5 not run",
    ]


def test_each_transcript_is_what_the_checker_prints(tmp_path):
    for command, expected in TRANSCRIPTS:
        doc_port = re.search(r"127\.0\.0\.1:(\d+)", command).group(1)
        [source] = [server for server in SERVERS if f", {doc_port}))" in server]
        port = str(free_port())
        program = tmp_path / f"server_{doc_port}.py"
        program.write_text(source.replace(doc_port, port))
        server = subprocess.Popen([sys.executable, str(program)], stdin=subprocess.DEVNULL)
        try:
            wait_listening(int(port), server)
            argv = command.replace(doc_port, port).split()
            result = subprocess.run([str(BIN / argv[0]), *argv[1:]], capture_output=True, text=True, timeout=60)
        finally:
            server.kill()
            server.wait()
        shown = CLIENT_PORT.sub("connected from 127.0.0.1:50123", result.stdout.rstrip("\n")).replace(port, doc_port)
        assert shown == expected, command
        assert result.returncode == (0 if expected.endswith(" 0 failed, 0 not run") else 1)
