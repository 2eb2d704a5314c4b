"""`stacklab-check client`: its usage, its exit status and formats, and that it leaves no process behind."""

import json
import sys
import time
from pathlib import Path

import pytest
from stacklab_grading import cli

from tests.unit.grading.test_client_zoo import ZOO

CORRECT = ZOO / "recho" / "whole_echo.py"


def test_list_names_each_client_exercise_and_its_checks(capsys):
    assert cli.main(["client", "--list"]) == 0
    shown = capsys.readouterr().out
    for line in ("echo (week 1, port 50000)", "recho (week 2, port 50002)", "chat (week 4, port 50004)"):
        assert line in shown
    assert "one-connection" in shown and "shows-others" in shown


@pytest.mark.parametrize(
    "argv",
    [["client", "recho"], ["client", "recho", "--"], ["client", "--", "python3"], ["client", "recho", "--", "no-such"]],
)
def test_a_usage_error_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(argv)
    assert exit.value.code == 2
    assert "usage: stacklab-check client" in capsys.readouterr().err


def test_a_correct_client_exits_0_and_reports_in_check50_json(capsys):
    argv = ["client", "recho", "--prefix", "alice", "--format", "json", "--wait", "2", "--"]
    assert cli.main([*argv, sys.executable, str(CORRECT)]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert [r["name"] for r in results][:2] == ["connects", "sends-lines"]
    assert all(r["passed"] is True for r in results)


def test_the_clients_process_group_is_killed_at_the_end(tmp_path, capsys):
    """A client that leaves a child running (here: one that never ends) takes it along when the checker ends."""
    pid_file = tmp_path / "child.pid"
    client = tmp_path / "forks.py"
    client.write_text(
        "import subprocess, sys\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        f"exec(open({str(CORRECT)!r}).read())\n"
    )
    assert cli.main(["client", "echo", "--wait", "1", "--", sys.executable, str(client)]) == 1
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)


def alive(pid: int) -> bool:
    """Running or sleeping: a zombie waiting for init to reap it is dead."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_web_client_named_by_a_relative_path_runs_in_a_directory_of_its_own(tmp_path, monkeypatch, capsys):
    """Its downloads land in a temporary directory, not where the student ran the checker."""
    (tmp_path / "download.py").write_text((ZOO / "web" / "soup_urllib.py").read_text())
    monkeypatch.chdir(tmp_path)
    assert cli.main(["client", "web", "--", sys.executable, "download.py"]) == 0
    assert "target " + f"{sys.executable} download.py URL N" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["download.py"]
