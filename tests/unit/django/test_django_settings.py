"""Settings from the environment: typed reads, DATABASE_URL, secrets from files, and `check --deploy`."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from stacklab_django.env import database_from_url, env_bool, env_list, env_secret

MANAGE = str(Path(sys.executable).parent / "stacklab-django-manage")
STRONG_KEY = secrets.token_urlsafe(50)  # a fresh key per run, as a deployment would generate


def manage(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([MANAGE, *args], env=env, capture_output=True, text=True, timeout=60)


def production(app_env) -> dict:
    env = {**app_env, "DJANGO_SECRET_KEY": STRONG_KEY, "DJANGO_ALLOWED_HOSTS": "lab.example.org"}
    del env["DJANGO_HTTPS"]  # the default: on
    return env


def test_check_deploy_passes_with_production_settings(app_env):
    result = manage(production(app_env), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_over_plain_http(app_env):
    result = manage({**production(app_env), "DJANGO_HTTPS": "0"}, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W008" in result.stderr  # SECURE_SSL_REDIRECT
    assert "security.W012" in result.stderr  # SESSION_COOKIE_SECURE


def test_check_deploy_fails_with_a_weak_key(app_env):
    result = manage(
        {**production(app_env), "DJANGO_SECRET_KEY": "short"}, "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_secret_key_is_required_with_debug_off(app_env):
    env = production(app_env)
    del env["DJANGO_SECRET_KEY"]
    result = manage(env, "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) is required" in result.stderr


def test_secret_key_from_a_file(app_env, tmp_path):
    (tmp_path / "key").write_text(STRONG_KEY + "\n")
    env = production(app_env)
    del env["DJANGO_SECRET_KEY"]
    env["DJANGO_SECRET_KEY_FILE"] = str(tmp_path / "key")
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr


def test_debug_runs_without_a_key(app_env):
    env = {**app_env, "DJANGO_DEBUG": "1"}
    del env["DJANGO_SECRET_KEY"]
    assert manage(env, "check").returncode == 0


def test_a_bad_boolean_is_a_clear_error(app_env):
    result = manage({**app_env, "DJANGO_DEBUG": "maybe"}, "check")
    assert result.returncode != 0
    assert "DJANGO_DEBUG='maybe' is not a boolean" in result.stderr


def test_runs_as_a_module_too(app_env):
    # systemd units start it as `python -m stacklab_django.manage`.
    result = subprocess.run(
        [sys.executable, "-m", "stacklab_django.manage", "check"],
        env=app_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_an_unusable_sqlite_directory_is_a_clear_error(app_env):
    result = manage({**app_env, "DJANGO_SQLITE_PATH": "/proc/no/such/dir/db.sqlite3"}, "check")
    assert result.returncode != 0
    assert "cannot create /proc/no/such/dir for SQLite" in result.stderr


def test_env_bool(monkeypatch):
    for raw, expected in [("1", True), ("On", True), ("yes", True), ("0", False), ("false", False), ("", False)]:
        monkeypatch.setenv("X_FLAG", raw)
        assert env_bool("X_FLAG", not expected) is expected
    monkeypatch.delenv("X_FLAG")
    assert env_bool("X_FLAG", True) is True


def test_env_list(monkeypatch):
    monkeypatch.setenv("X_LIST", " a.example , ,b.example,")
    assert env_list("X_LIST") == ["a.example", "b.example"]
    monkeypatch.delenv("X_LIST")
    assert env_list("X_LIST", ["d"]) == ["d"]


def test_env_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("X_SECRET", raising=False)
    monkeypatch.delenv("X_SECRET_FILE", raising=False)
    assert env_secret("X_SECRET") is None
    (tmp_path / "s").write_text("s3cret\n")
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "s"))
    assert env_secret("X_SECRET") == "s3cret"
    monkeypatch.setenv("X_SECRET", "other")
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env_secret("X_SECRET")


def test_env_secret_from_a_systemd_credential(monkeypatch, tmp_path):
    """A VM's unit loads its secrets as credentials (LoadCredential=): $CREDENTIALS_DIRECTORY/NAME, not the
    environment; NAME or NAME_FILE (compose) still win when set."""
    for name in ("X_SECRET", "X_SECRET_FILE"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "X_SECRET").write_text("from-credential\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert env_secret("X_SECRET") == "from-credential"
    assert env_secret("Y_SECRET") is None
    monkeypatch.setenv("X_SECRET", "from-env")
    assert env_secret("X_SECRET") == "from-env"


def test_database_url():
    db = database_from_url("postgres://lab:p%40ss%3Aword@db.internal:5433/stacklab?sslmode=require")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "lab",
        "p@ss:word",
        "db.internal",
        "5433",
        "stacklab",
    )
    assert db["OPTIONS"] == {"sslmode": "require"}


def test_database_url_password_from_a_file_and_socket_host():
    db = database_from_url("postgresql://lab@%2Frun%2Fpostgresql/stacklab", password="from-file")
    assert (db["HOST"], db["PORT"], db["PASSWORD"]) == ("/run/postgresql", "", "from-file")


def test_database_url_ipv6():
    db = database_from_url("postgres://lab:pw@[::1]:5432/stacklab")
    assert (db["HOST"], db["PORT"]) == ("::1", "5432")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://lab:pw@db/stacklab", "unsupported scheme"),
        ("postgres://lab:pw@db:5432/", "database name is missing"),
        ("postgres://lab:pw@db:port/stacklab", "not a number"),
    ],
)
def test_database_url_errors(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        database_from_url(url)


def test_the_suite_runs_on_the_database_it_was_given():
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if os.environ.get("TEST_DATABASE_URL"):
        assert connection.vendor == "postgresql"
        assert name.startswith("test_")  # Django's own test database, never the one in the URL
    else:
        assert connection.vendor == "sqlite"
        assert "memory" in name
