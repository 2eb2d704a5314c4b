"""ws30's script side: run allow-listed Python scripts and return their output (the course's week-4 assignment).

The course ran ANY existing `.py` under the docroot through a shell (`os.popen('python ' + path)`): remote code
execution for anyone who could upload a file. Here only the scripts in one directory chosen by the operator
(default: the package's own `scripts/`, which holds just print_time.py) can run, by their bare name at the top
level (`GET /print_time.py`), with no shell, no stdin, a small environment and a timeout (504 when it expires).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from .server import Response, log, text_response

BUNDLED_SCRIPTS = Path(__file__).parent / "scripts"
_SCRIPT_URL = re.compile(r"/([A-Za-z0-9_][A-Za-z0-9_-]*\.py)")


class ScriptRunner:
    def __init__(self, directory: Path, timeout: float):
        self.directory = directory.resolve()
        self.timeout = timeout

    def find(self, path: str) -> Path | None:
        """The allow-listed script a decoded URL path names, or None (then the path is served as a file)."""
        match = _SCRIPT_URL.fullmatch(path)
        if not match:
            return None
        script = (self.directory / match[1]).resolve()
        if script.parent != self.directory or not script.is_file():
            return None
        return script

    def run(self, script: Path, path: str) -> Response:
        try:
            result = subprocess.run(
                [sys.executable, str(script)],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self.timeout,
                cwd=self.directory,
                env={"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"},
                check=False,
            )
        except subprocess.TimeoutExpired:  # run() has already killed the script
            log(f"script {script.name} killed after {self.timeout:g}s")
            return text_response(504, f"{path} timed out after {self.timeout:g}s\n")
        if result.returncode != 0:
            stderr = result.stderr.decode(errors="replace").strip().splitlines()
            log(f"script {script.name} exited {result.returncode}: {stderr[-1] if stderr else ''}")
            return text_response(500, f"{path} failed (exit status {result.returncode})\n")
        return Response(200, result.stdout, "text/plain; charset=utf-8")
