"""Helpers of the web client's tests: the client as a process, the course's stand-in pages, the API's documents."""

import subprocess

from stacklab_www.ws30 import DEMO_ROOT

from tests.unit.servers import BIN

COURSE_DIR = DEMO_ROOT / "winter_2012"  # the stand-in course page and its files, shipped with ws30


def run_client(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / "stacklab-webclient", "--timeout", "5", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


# Stand-ins for the course's dead APIs: json-time.appspot.com and GitHub API v2's repository listing.
TIME_DOCUMENT = {"tz": "UTC", "hour": 17, "datetime": "Tue, 31 Jan 2012 17:30:00 +0000", "error": False}

REPOS_DOCUMENT = {"repositories": [{"name": "uw_python", "owner": "jon-jacky"}, {"name": "ünïcode", "owner": "x"}]}
