"""The `stacklab-webclient` transcripts in services/webclient/README.md ("Expected result") hold against ws30."""

import re
import shlex
from pathlib import Path

import pytest

from tests.unit.webclient.helpers import run_client

README = Path(__file__).parents[3] / "services" / "webclient" / "README.md"
# "$ stacklab-webclient links|download ...", then its output up to a blank line
TRANSCRIPT = re.compile(r"^\$ stacklab-webclient ((?:links|download) .*)\n((?:.+\n)+)", re.M)
TRANSCRIPTS = TRANSCRIPT.findall(README.read_text())


def test_readme_has_links_and_download_transcripts():
    assert sorted(command.split()[0] for command, _ in TRANSCRIPTS) == ["download", "links"]


@pytest.mark.parametrize(("command", "expected"), TRANSCRIPTS, ids=[c.split()[0] for c, _ in TRANSCRIPTS])
def test_transcript(site, tmp_path, command, expected):
    def local(text: str) -> str:  # the README's port and folder -> this test's
        return text.replace("http://127.0.0.1:8080", site).replace("/tmp/course", str(tmp_path / "course"))

    result = run_client(*shlex.split(local(command)))
    assert result.returncode == 0, result.stderr
    assert result.stdout == local(expected)
