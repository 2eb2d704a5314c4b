"""Helpers of the deploy tests (tests/deploy) and bench/deploy.py: the stand-in scripts/test-deploy prepared, and
what its releases show."""

import http.client
import os
import re
from pathlib import Path

from stacklab_testing import REPO
from stacklab_testing.load import Load, http_probe, tcp_probes

HOST = os.environ.get("STACKLAB_DEPLOY_HOST", "")  # the deploy user's ssh_config alias (fab's)
ADMIN_HOST = os.environ.get("STACKLAB_ADMIN_HOST", f"{HOST}-admin")  # the admin user's (Ansible's)
SSH_CONFIG = os.environ.get("STACKLAB_SSH_CONFIG", str(REPO / "hosting" / "cache" / "ssh" / "config"))
TARGET = os.environ.get("STACKLAB_TARGET", "127.0.0.2")
MARK_HEADER = "X-Stacklab-Build"

# A wheel that drops a .pth file into its venv's site-packages: every start of that venv's interpreter then notes its
# effective uid in CANARY_DIR (a folder every user may add to; one empty file per uid). Root must never appear there.
CANARY_DIR = "/var/tmp/stacklab-canary"
NOBODY = 65534  # who builds the venvs (stacklab_release.stage) and runs the CGI installer
CANARY_APPS = ("django", "cgi")  # restore reads Django's migrations, provision installs the CGI programs
CANARY_PTH = (
    "import os; d = {dir!r}; os.access(d, os.W_OK) and open(os.path.join(d, 'uid-%d' % os.geteuid()), 'a').close()\n"
)


def add_canary(project: Path, app: str) -> None:
    (project / "canary.pth").write_text(CANARY_PTH.format(dir=CANARY_DIR))
    with open(project / "pyproject.toml", "a") as f:
        f.write(f'\n[tool.hatch.build.targets.wheel.force-include]\n"canary.pth" = "stacklab_{app}_canary.pth"\n')


def served_marker(port: int, path: str = "/") -> str:
    """The marker of the build that answers on TARGET:port now."""
    conn = http.client.HTTPConnection(TARGET, port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.getheader(MARK_HEADER, "")
    finally:
        conn.close()


def deployed_name(output: str) -> str:
    match = re.search(r"deployed (\S+) to ", output)
    assert match, f"no 'deployed NAME' line in:\n{output}"
    return match.group(1)


def release_lines(output: str) -> dict[str, str]:
    """`fab releases` output -> {name: mark} (mark '*' current, '-' previous, ' ' other)."""
    return {line[2:].split()[0]: line[0] for line in output.splitlines() if len(line) > 2 and line[1] == " "}


def share_build(clone: Path) -> None:
    """Let a clone of this checkout build into this checkout's build/ (a link, which the clone's git ignores): its
    wheelhouse is then rebuilt only for the packages the clone changed, as a developer's own deploys are, instead of
    whole for every clone."""
    (REPO / "build").mkdir(exist_ok=True)
    (clone / "build").symlink_to(REPO / "build")
    with open(clone / ".git" / "info" / "exclude", "a") as exclude:
        exclude.write("/build\n")


def steady_load(plan: dict[str, str]) -> Load:
    """Steady requests to the Flask and Django bookshops through nginx (tallying the build that answered) and to
    every course socket server, on TARGET."""
    probes = [
        http_probe("flask bookshop", TARGET, int(plan["FLASK_PORT"]), "/", tally_header=MARK_HEADER),
        http_probe("django bookshop", TARGET, int(plan["DJANGO_PORT"]), "/accounts/login/", tally_header=MARK_HEADER),
        *tcp_probes(TARGET, plan),
    ]
    return Load(probes)
