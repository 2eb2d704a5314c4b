"""Django under plain pytest: configure the settings from the environment, then build the test database once.

The tests are django.test.TestCase classes, which pytest runs natively. The database is SQLite in memory,
or PostgreSQL when TEST_DATABASE_URL (or DATABASE_URL) names a server (see scripts/test-postgres); Django
creates and drops its own test_<name> database there, so the user needs CREATEDB.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import django
import pytest

if os.environ.get("TEST_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["TEST_DATABASE_URL"]
os.environ["DJANGO_SETTINGS_MODULE"] = "stacklab_django.settings"
# Test-only settings: a throwaway key, plain http (the test client does not speak TLS), DEBUG off as in production.
os.environ["DJANGO_SECRET_KEY"] = "test-only-key-" + "x" * 50
os.environ["DJANGO_DEBUG"] = "0"
os.environ["DJANGO_HTTPS"] = "0"
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
os.environ["DJANGO_DATA_DIR"] = tempfile.mkdtemp(prefix="stacklab-django-test-")
atexit.register(shutil.rmtree, os.environ["DJANGO_DATA_DIR"], True)
django.setup()

# Under xdist each worker builds its own test database on the shared PostgreSQL server (SQLite's is in memory).
if os.environ.get("PYTEST_XDIST_WORKER"):
    from django.conf import settings

    db = settings.DATABASES["default"]
    if "postgresql" in db["ENGINE"]:
        db.setdefault("TEST", {})["NAME"] = f"test_{db['NAME']}_{os.environ['PYTEST_XDIST_WORKER']}"

from django.test.runner import DiscoverRunner  # noqa: E402 - needs the settings above


@pytest.fixture(scope="session", autouse=True)
def django_test_database():
    runner = DiscoverRunner(verbosity=0, interactive=False)
    runner.setup_test_environment()
    old_config = runner.setup_databases()
    yield
    runner.teardown_databases(old_config)
    runner.teardown_test_environment()


@pytest.fixture(scope="session")
def make_app_env():
    """make_app_env(dir) -> the environment for a stacklab-django process a test starts: DEBUG off, plain http,
    data (SQLite, static files) under dir.

    The test process's DJANGO_* and DATABASE_URL are replaced, so a subprocess sees only what the test sets.
    """

    def make(data_dir: Path) -> dict[str, str]:
        inherited = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("DJANGO_") and key not in ("DATABASE_URL", "TEST_DATABASE_URL")
        }
        return {
            **inherited,
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SECRET_KEY": "test-only-key-" + "y" * 50,
            "DJANGO_DEBUG": "0",
            "DJANGO_HTTPS": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_DATA_DIR": str(data_dir),
            "DJANGO_SQLITE_PATH": str(data_dir / "db.sqlite3"),
            "DJANGO_STATIC_ROOT": str(data_dir / "static"),
            "DATABASE_URL": "",  # start_server merges os.environ: an empty value means SQLite
        }

    return make


@pytest.fixture
def app_env(make_app_env, tmp_path):
    return make_app_env(tmp_path)
