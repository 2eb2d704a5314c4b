"""`stacklab-check exercise`, run as a student or a CI job runs it, in each output format, each parsed back: the
terminal view, check50's JSON, JUnit XML and Gradescope's results.json say the same thing, and the exit status
says whether everything passed. Anything but `exercise` is still the lab's health check."""

import json
import subprocess
import xml.etree.ElementTree as ET

import pytest
from stacklab_grading.exercises import EXERCISES

from tests.unit.grading.helpers import PREFIX, ZOO
from tests.unit.servers import BIN

ECHO_CHECKS = [check.name for check in EXERCISES["echo"].checks]


def check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "stacklab-check"), *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def no_prefix(run_program) -> str:
    """A server that forgets the prefix: its first check fails, the rest are not run."""
    return f"127.0.0.1:{run_program(ZOO / 'echo' / 'no_prefix.py')}"


@pytest.fixture
def correct(run_program) -> str:
    return f"127.0.0.1:{run_program(ZOO / 'echo' / 'course_2012.py')}"


def grade(target: str, form: str) -> subprocess.CompletedProcess:
    return check("exercise", "echo", "--target", target, "--prefix", PREFIX, "--format", form, "--wait", "1")


def test_the_terminal_view_shows_the_transcript_the_difference_and_the_hint(no_prefix):
    result = grade(no_prefix, "terminal")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "echo (week 1, port 50000): per connection, read once, reply 'PREFIX: data', then close"
    assert lines[1] == f"target {no_prefix}"
    assert lines[2].startswith("FAIL    replies")
    assert "     A >> b'Hello, world'" in lines
    assert "     A << b'Hello, world'" in lines
    assert f"  expected b'{PREFIX}: Hello, world'" in lines
    assert "  got      b'Hello, world'" in lines
    assert "  first difference at byte 0" in lines
    assert f"  hint: the reply has no prefix: it must begin with '{PREFIX}: '" in "\n".join(lines)
    assert "not run serves-again       needs 'replies', which failed" in lines
    assert lines[-1] == "0 passed, 1 failed, 5 not run"


def test_check50_json_has_its_shape_with_null_for_not_run(no_prefix):
    result = grade(no_prefix, "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["slug"] == "stacklab/echo" and report["error"] is None
    first, second = report["results"][:2]
    assert [r["name"] for r in report["results"]] == ECHO_CHECKS
    assert first["passed"] is False and second["passed"] is None
    assert first["cause"]["hint"] == "no-prefix"
    assert first["cause"]["expected"] == f"{PREFIX}: Hello, world" and first["cause"]["actual"] == "Hello, world"
    assert first["cause"]["help"].startswith("the reply has no prefix")
    assert "A >> b'Hello, world'" in first["log"][1]
    assert second["cause"]["rationale"] == "needs 'replies', which failed" and second["dependency"] == "replies"


def test_junit_xml_parses_with_one_failure_and_the_rest_skipped(no_prefix):
    result = grade(no_prefix, "junit")
    assert result.returncode == 1
    suite = ET.fromstring(result.stdout).find("testsuite")  # noqa: S314 - our own output
    assert suite.get("name") == "stacklab.echo"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == (str(len(ECHO_CHECKS)), "1", "5")
    cases = suite.findall("testcase")
    assert [case.get("name") for case in cases] == ECHO_CHECKS
    failure = cases[0].find("failure")
    assert failure.get("type") == "no-prefix" and failure.get("message").startswith("client A sent b'Hello, world'")
    assert "hint: the reply has no prefix" in failure.text
    assert cases[1].find("skipped").get("message") == "not run: needs 'replies', which failed"


def test_gradescope_results_score_one_point_per_passed_check(correct, no_prefix):
    passed = json.loads(grade(correct, "gradescope").stdout)
    failed = json.loads(grade(no_prefix, "gradescope").stdout)
    assert passed["score"] == len(ECHO_CHECKS) and failed["score"] == 0
    assert {t["status"] for t in passed["tests"]} == {"passed"}
    assert [t["max_score"] for t in failed["tests"]] == [1] * len(ECHO_CHECKS)
    assert failed["tests"][0]["status"] == "failed" and "hint: the reply has no prefix" in failed["tests"][0]["output"]
    assert failed["tests"][1]["output"] == "not run: needs 'replies', which failed"
    assert failed["output"].endswith("0 passed, 1 failed, 5 not run")


def test_a_server_that_passes_exits_zero(correct):
    result = grade(correct, "terminal")
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1] == f"{len(ECHO_CHECKS)} passed, 0 failed, 0 not run"


def test_usage_errors_exit_two_and_the_list_names_every_check():
    assert check("exercise", "nosuch").returncode == 2
    assert check("exercise", "echo", "--target", "127.0.0.1:notaport").returncode == 2
    listing = check("exercise", "--list")
    assert listing.returncode == 0
    for exercise in EXERCISES.values():
        assert exercise.title in listing.stdout
        assert all(f"  {c.name} " in listing.stdout for c in exercise.checks)


def test_anything_else_is_the_lab_health_check():
    result = check("--help")
    assert result.returncode == 0
    assert "Check every lab service with a real protocol exchange." in result.stdout
