"""`./run try`'s parts that need no Docker: bad input is refused before compose is touched, the override swaps
only the command and the read-only mounts, and the lab index shows a record (program, grade, its report).
The whole round against the running stack: tests/health/test_try.py."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from stacklab_core import checks
from stacklab_lab.index import Index

from tests.unit.lab.helpers import plan
from tests.unit.lab.test_lab_index import call

ROOT = Path(__file__).parents[3]


def run_try(*args: str) -> subprocess.CompletedProcess:
    script = ROOT / "scripts/lib/try_service.py"
    return subprocess.run([sys.executable, script, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_a_missing_program_an_unknown_service_or_an_unreadable_file_says_so(tmp_path):
    missing = run_try("echo", str(tmp_path / "nowhere.py"))
    assert (missing.returncode, missing.stderr) == (2, f"try: {tmp_path}/nowhere.py: no such file\n")
    unknown = run_try("django", str(tmp_path / "nowhere.py"))
    assert unknown.returncode == 2
    assert "django: not a service you can try; one of: echo, recho, echo_select, chat, hello_www" in unknown.stderr
    secret = tmp_path / "secret.py"
    secret.write_text("print('hi')\n")
    secret.chmod(0o600)
    unreadable = run_try("echo-select", str(secret))
    assert (
        unreadable.returncode == 2 and f"the container's user cannot read it: chmod o+r {secret}" in unreadable.stderr
    )


def test_the_index_names_the_program_and_links_its_grade(tmp_path):
    record = {"program": "my_echo.py", "exercise": "echo", "passed": False, "summary": "1 passed, 1 failed, 4 not run"}
    (tmp_path / "echo.json").write_text(json.dumps({**record, "report": "FAIL    replies  <b>no prefix</b>\n"}))
    index = Index(plan(), checks.parse_targets(""), timeout=0.2, try_dir=str(tmp_path))
    rows = {row["name"]: row for row in json.loads(call(index, "/status.json")[2])["services"]}
    assert rows["echo"]["try"]["program"] == "my_echo.py" and rows["recho"]["try"] is None
    page = call(index)[2]
    assert 'your program: my_echo.py<br>exercise echo fails: <a href="/try/echo">1 passed, 1 failed' in page
    status, headers, body = call(index, "/try/echo")
    assert (status, headers["Content-Type"]) == ("200 OK", "text/plain; charset=utf-8")
    assert body == "FAIL    replies  <b>no prefix</b>\n"
    assert call(index, "/try/recho")[0] == "404 Not Found"
    assert call(index, "/try/../etc")[0] == "404 Not Found"


def test_the_override_swaps_only_the_command_and_mounts_the_program_read_only(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("try_service", ROOT / "scripts/lib/try_service.py")
    try_service = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(try_service)
    monkeypatch.setattr(try_service, "STATE", tmp_path)
    program = tmp_path / "my_ws30.py"
    program.write_text("")
    path = try_service.override(try_service.service_of("ws30"), program, 8080, ["--verbose"])
    assert path == tmp_path / "ws30.yml"
    [(name, entry)] = json.loads(path.read_text())["services"].items()
    assert name == "ws30"
    assert entry == {
        "command": ["python3", "/try/my_ws30.py", "8080", "--verbose"],
        "volumes": [
            {"type": "bind", "source": str(program), "target": "/try/my_ws30.py", "read_only": True},
            {"type": "bind", "source": str(tmp_path / "ws30-docroot"), "target": "/srv/docroot", "read_only": True},
        ],
        "init": True,
        "working_dir": "/srv/docroot",
    }
    assert (tmp_path / "ws30-docroot/print_time.py").is_file()  # the grader's document root, written
    echo = json.loads(try_service.override(try_service.service_of("echo-select"), program, 50003, []).read_text())
    assert set(echo["services"]["echo-select"]) == {"command", "volumes", "init"}
