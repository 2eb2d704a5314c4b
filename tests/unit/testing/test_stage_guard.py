"""The stage guard (tests/lib/src/stacklab_testing/guard.py) on a tiny suite of its own, run by a real pytest: an
unexpected skip or a short count fails the run with the list, an allowed skip does not."""

import os
import subprocess
import sys

import pytest

SUITE = """
import pytest

def test_one():
    pass

def test_two():
    pass

@pytest.mark.xfail(reason="known bug", strict=True)
def test_known_bug():
    raise AssertionError

def test_needs_docker():
    pytest.skip("no Docker engine here")

@pytest.mark.skip(reason="compose-only check; the target is a VM")
def test_compose_only():
    pass
"""


def run(tmp_path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the repository's settings
    (tmp_path / "test_tiny.py").write_text(SUITE)
    argv = [sys.executable, "-m", "pytest", "-p", "stacklab_testing.guard", "-p", "no:cacheprovider", *args]
    return subprocess.run(
        argv, cwd=tmp_path, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}
    )


def test_an_unexpected_skip_fails_the_run_and_is_listed(tmp_path):
    result = run(tmp_path, "--stage", "tiny", "--allow-skip", "^compose-only check")
    assert result.returncode == 1, result.stdout
    assert "stage guard: tiny FAILED" in result.stdout
    assert "1 skipped with no allowed reason (--allow-skip):" in result.stdout
    assert "test_tiny.py::test_needs_docker: no Docker engine here" in result.stdout
    assert "test_compose_only" not in result.stdout.split("stage guard:")[1]  # allowed: not in the list


def test_allowed_skips_pass_and_are_counted_by_reason(tmp_path):
    result = run(
        tmp_path, "--stage", "tiny", "--allow-skip", "^compose-only", "--allow-skip", "Docker", "--min-passed", "2"
    )
    assert result.returncode == 0, result.stdout
    assert "stage guard: tiny passed" in result.stdout
    assert "2 passed; skipped by design: 1 '^compose-only', 1 'Docker'" in result.stdout


def test_too_few_passed_fails_the_run(tmp_path):
    allowed = ("--allow-skip", "compose-only|Docker")
    result = run(tmp_path, "--stage", "tiny", *allowed, "--min-passed", "3", "--min-passed", "test_tiny.py::test_t=2")
    assert result.returncode == 1, result.stdout
    assert "all tests: 2 passed, the stage needs at least 3" in result.stdout
    assert "test_tiny.py::test_t: 1 passed, the stage needs at least 2" in result.stdout  # test_two alone


def test_a_run_that_collects_nothing_fails(tmp_path):
    result = run(tmp_path, "--stage", "tiny", "--min-passed", "1", "-k", "no_such_test")
    assert result.returncode == 1, result.stdout
    assert "all tests: 0 passed, the stage needs at least 1" in result.stdout


def test_a_narrowed_run_checks_only_the_skips(tmp_path):
    env = {"STACKLAB_GUARD_COUNTS": "off"}
    result = run(tmp_path, "--stage", "tiny", "--min-passed", "5", "--allow-skip", "compose-only|Docker", env=env)
    assert result.returncode == 0, result.stdout
    assert "counts not checked (STACKLAB_GUARD_COUNTS=off" in result.stdout
    result = run(tmp_path, "--stage", "tiny", "--min-passed", "5", env=env)
    assert result.returncode == 1, result.stdout
    assert "2 skipped with no allowed reason" in result.stdout


def test_without_a_stage_nothing_is_checked(tmp_path):
    result = run(tmp_path, "--min-passed", "5")
    assert result.returncode == 0, result.stdout
    assert "stage guard" not in result.stdout


@pytest.mark.parametrize("workers", ["2"])
def test_counts_hold_under_xdist(tmp_path, workers):
    """With xdist the workers each see a part: only the controller, which gets every report, judges."""
    result = run(tmp_path, "-n", workers, "--stage", "tiny", "--allow-skip", "compose-only|Docker", "--min-passed", "2")
    assert result.returncode == 0, result.stdout
    assert "2 passed; skipped by design: 2 'compose-only|Docker'" in result.stdout
    result = run(tmp_path, "-n", workers, "--stage", "tiny", "--allow-skip", "compose-only", "--min-passed", "2")
    assert result.returncode == 1, result.stdout
    assert "test_tiny.py::test_needs_docker: no Docker engine here" in result.stdout
