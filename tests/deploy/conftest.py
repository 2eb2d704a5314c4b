"""Fixtures of the deploy tests: `fab` against a VPS stand-in that Ansible provisioned, releases built from
temporary clones of this checkout (with a visible marker, or a deliberate fault), and steady load on the lab.

scripts/test-deploy prepares the stand-in and sets:
    STACKLAB_DEPLOY_HOST   its ssh_config alias (e.g. stacklab-vm)
    STACKLAB_SSH_CONFIG    the ssh_config that reaches it (default hosting/cache/ssh/config)
    STACKLAB_TARGET        the address its lab ports are published on (default 127.0.0.2)
    STACKLAB_PROVISION_INVENTORY, STACKLAB_PROVISION_VARS   how it was provisioned (test_privilege.py runs it again)
fab logs in as the deploy user (Host NAME); what the tests themselves do as root goes through the admin user
(Host NAME-admin, or STACKLAB_ADMIN_HOST), since deploy may not.
Without STACKLAB_DEPLOY_HOST every test here is skipped: they need a real provisioned server.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from stacklab_core import ports
from stacklab_testing.deploy import (
    ADMIN_HOST,
    CANARY_APPS,
    CANARY_DIR,
    HOST,
    MARK_HEADER,
    REPO,
    SSH_CONFIG,
    TARGET,
    add_canary,
    share_build,
    steady_load,
)

HERE = Path(__file__).resolve().parent

FAB = str(Path(sys.executable).parent / "fab")

# The WSGI entry points gunicorn serves; a marked release wraps each to add the marker header to every response.
ENTRY_POINTS = {
    "services/flask/src/stacklab_flask/wsgi.py": "app",
    "services/django/src/stacklab_django/wsgi.py": "application",
    "services/wsgi/src/stacklab_wsgi/app.py": "application",
}
MARKER_CODE = """

# --- added by tests/deploy: every response names the build it came from, as read from the app's PACKAGE: a worker
# that kept the old package (a gunicorn master that imported it) shows the old build even with this new file ---
_stacklab_unmarked = {attr}


def {attr}(environ, start_response):
    import importlib

    build = getattr(importlib.import_module(__package__), "STACKLAB_TEST_BUILD", "")

    def start(status, headers, exc_info=None):
        return start_response(status, [*headers, ("{header}", build)], exc_info)

    return _stacklab_unmarked(environ, start)
"""

# The socket servers' packages: a marked release changes them too, so that each deploy restarts their units.
RESTARTED = ["services/echo/src/stacklab_echo", "services/chat/src/stacklab_chat", "services/www/src/stacklab_www"]

FAULTS = {
    # An app that cannot start: its WSGI module raises on import (gunicorn would fail to boot its workers).
    "cannot-start": {
        "services/flask/src/stacklab_flask/wsgi.py": '\nraise RuntimeError("tests/deploy: cannot start")\n',
    },
    # An app whose /healthz answers 200 while its bookshop pages fail: only the gate's page checks can catch it.
    "broken-page": {
        "services/flask/src/stacklab_flask/wsgi.py": """

_stacklab_working = app


def app(environ, start_response):  # tests/deploy: healthy by /healthz, broken where it matters
    if environ.get("PATH_INFO", "").startswith("/detail/"):
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"broken on purpose\\n"]
    return _stacklab_working(environ, start_response)
""",
    },
    # An app that starts but answers 500 to everything, /healthz included: only the health gate can catch it.
    "unhealthy": {
        "services/flask/src/stacklab_flask/wsgi.py": """

def app(environ, start_response):  # tests/deploy: a release that starts but is broken
    start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
    return [b"broken on purpose\\n"]
""",
    },
}

BROKEN_MIGRATION = '''"""tests/deploy: deletes every book, then fails; its transaction must undo the delete."""

from django.db import migrations


def delete_books(apps, schema_editor):
    apps.get_model("books", "Book").objects.all().delete()


def fail(apps, schema_editor):
    raise RuntimeError("tests/deploy: this migration fails on purpose")


class Migration(migrations.Migration):
    dependencies = [("books", "{latest}")]
    operations = [migrations.RunPython(delete_books), migrations.RunPython(fail)]
'''


def pytest_collection_modifyitems(config, items):
    if HOST:
        return
    skip = pytest.mark.skip(reason="needs a provisioned stand-in: run scripts/test-deploy")
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def plan() -> dict[str, str]:
    return ports.load(REPO / "stack.env")


@pytest.fixture(scope="session")
def fab():
    """Run one fab task against the stand-in from a source tree; return the CompletedProcess (never raises)."""

    def run(*args: str, source: Path = REPO, host: str | None = None, ssh_config: str | None = None, timeout=600):
        argv = [FAB, "-r", str(source), "-S", ssh_config or SSH_CONFIG, "-H", host or HOST, *args]
        env = {**os.environ, "STACKLAB_TARGET": TARGET}
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, check=False)
        print(f"$ fab {' '.join(args)}  -> exit {proc.returncode}\n{proc.stdout}{proc.stderr}")
        return proc

    return run


@pytest.fixture(scope="session")
def ssh():
    """Run a shell command on the stand-in over plain OpenSSH, as deploy (or admin); the CompletedProcess."""

    def run(command: str, admin: bool = False) -> subprocess.CompletedProcess:
        argv = ["ssh", "-F", SSH_CONFIG, "-o", "BatchMode=yes", ADMIN_HOST if admin else HOST, command]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)

    return run


@pytest.fixture(scope="session")
def on_host(ssh):
    """Run a shell command on the stand-in as the admin user (the tests' own setup and checks, sudo included);
    return its stdout (raises on failure)."""

    def run(command: str) -> str:
        proc = ssh(command, admin=True)
        proc.check_returncode()
        return proc.stdout

    return run


@pytest.fixture(scope="session")
def source(tmp_path_factory):
    """A committed clone of this checkout's HEAD whose web apps add `X-Stacklab-Build: <marker>` to each response,
    with an optional fault. Returns (path, marker)."""

    def make(fault: str | None = None) -> tuple[Path, str]:
        marker = f"build-{uuid.uuid4().hex[:10]}"
        path = tmp_path_factory.mktemp(fault or "good") / "stacklab"
        subprocess.run(["git", "clone", "--quiet", "--local", str(REPO), str(path)], check=True)
        share_build(path)
        for file, attr in ENTRY_POINTS.items():
            with open(path / file, "a") as f:
                f.write(MARKER_CODE.format(attr=attr, header=MARK_HEADER))
            with open((path / file).parent / "__init__.py", "a") as f:
                f.write(f'\nSTACKLAB_TEST_BUILD = "{marker}"  # tests/deploy\n')
        for package in RESTARTED:  # a change in them too: the deploy restarts their servers
            with open(path / package / "__init__.py", "a") as f:
                f.write(f'\nSTACKLAB_TEST_BUILD = "{marker}"  # tests/deploy\n')
        for file, code in FAULTS.get(fault, {}).items():
            with open(path / file, "a") as f:
                f.write(code)
        if fault == "root-canary":
            for app in CANARY_APPS:
                add_canary(path / "services" / app, app)
        if fault == "bad-migration":
            folder = path / "services/django/src/stacklab_django/books/migrations"
            latest = max(p.stem for p in folder.glob("[0-9][0-9][0-9][0-9]_*.py"))
            (folder / "9999_tests_deploy_broken.py").write_text(BROKEN_MIGRATION.format(latest=latest))
        git = ["git", "-C", str(path), "-c", "user.name=tests", "-c", "user.email=tests@localhost"]
        subprocess.run([*git, "add", "--all"], check=True)
        subprocess.run([*git, "commit", "--quiet", "-m", f"tests/deploy: {marker} {fault or ''}"], check=True)
        return path, marker

    return make


@pytest.fixture(scope="session")
def root_canary(fab, source, on_host):
    """Two releases with the canary shipped by `fab deploy` (the second patches the first's venvs: a code change);
    returns a function that lists the uids the canary has noted so far."""
    on_host(f"sudo rm -rf {CANARY_DIR} && sudo install -d -m 1777 {CANARY_DIR}")
    for _ in range(2):
        path, _marker = source("root-canary")
        result = fab("deploy", source=path)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr

    def uids() -> list[int]:
        return sorted(int(name.removeprefix("uid-")) for name in on_host(f"ls {CANARY_DIR}").split())

    return uids


@pytest.fixture
def load(plan):
    """Steady requests to the Flask and Django bookshops through nginx and to every course socket server."""
    return steady_load(plan)
