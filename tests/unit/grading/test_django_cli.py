"""`stacklab-check exercise django_bookshop` logs in with --user/--password: another of the course's accounts
(brian) passes, and a wrong password fails at the login with its hint, the checks after it not run. Against the
zoo's plain-WSGI bookshop, which starts in a fraction of a second."""

import subprocess

from tests.unit.grading.helpers import ZOO
from tests.unit.servers import BIN


def check(port: int, *options: str) -> subprocess.CompletedProcess:
    argv = [BIN / "stacklab-check", "exercise", "django_bookshop", "--target", f"127.0.0.1:{port}", "--wait", "2"]
    return subprocess.run([*argv, *options], capture_output=True, text=True, timeout=60)


def test_the_account_comes_from_user_and_password(run_program):
    port = run_program(ZOO / "django_bookshop" / "wsgi_app.py")
    good = check(port, "--user", "brian", "--password", "dorsey")
    assert good.returncode == 0, good.stdout
    assert "logged in as brian" in good.stdout
    bad = check(port, "--user", "brian", "--password", "jacky")
    assert bad.returncode == 1
    assert "FAIL    logs-in" in bad.stdout
    assert "logging in as 'brian' did not redirect" in bad.stdout
    assert bad.stdout.rstrip().endswith("6 passed, 1 failed, 5 not run"), bad.stdout
