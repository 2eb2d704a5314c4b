"""Settings from FLASK_* env: the secret key is required, DEBUG is refused outside development."""

import pytest
from stacklab_flask import ConfigError, create_app


@pytest.fixture
def env(monkeypatch, tmp_path):
    for name in ("FLASK_SECRET_KEY", "FLASK_SECRET_KEY_FILE", "FLASK_DEBUG", "FLASK_ENV", "CREDENTIALS_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FLASK_HISTORY_DB", str(tmp_path / "history.sqlite3"))
    return monkeypatch


def test_settings_come_from_flask_env(env, tmp_path):
    env.setenv("FLASK_SECRET_KEY", "from-env")
    env.setenv("FLASK_HISTORY_LIMIT", "7")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["HISTORY_LIMIT"] == 7
    assert app.config["HISTORY_DB"] == str(tmp_path / "history.sqlite3")
    assert not app.debug


def test_secret_key_from_file(env, tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text("from-file\n")
    env.setenv("FLASK_SECRET_KEY_FILE", str(key_file))
    assert create_app().config["SECRET_KEY"] == "from-file"


def test_secret_key_from_a_systemd_credential(env, tmp_path):
    """A VM's unit loads the key as a credential (LoadCredential=FLASK_SECRET_KEY), never as an environment
    variable."""
    (tmp_path / "FLASK_SECRET_KEY").write_text("from-credential\n")
    env.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert create_app().config["SECRET_KEY"] == "from-credential"


def test_unreadable_secret_key_file_is_a_clear_error(env, tmp_path):
    env.setenv("FLASK_SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="cannot read FLASK_SECRET_KEY_FILE"):
        create_app()


def test_secret_key_is_required(env):
    with pytest.raises(ConfigError, match="FLASK_SECRET_KEY"):
        create_app()


def test_debug_is_refused_in_production(env):
    env.setenv("FLASK_SECRET_KEY", "k")
    env.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigError, match="refusing to start with DEBUG on"):
        create_app()
    env.setenv("FLASK_ENV", "production")
    with pytest.raises(ConfigError, match="'production'"):
        create_app()


def test_debug_is_refused_in_production_test_config(tmp_path):
    with pytest.raises(ConfigError):
        create_app({"SECRET_KEY": "k", "DEBUG": True, "ENV": "production", "HISTORY_DB": str(tmp_path / "h.db")})


def test_debug_is_allowed_in_development(env):
    env.setenv("FLASK_SECRET_KEY", "k")
    env.setenv("FLASK_DEBUG", "1")
    env.setenv("FLASK_ENV", "development")
    assert create_app().debug


def test_gunicorn_entry_point_never_debugs(env):
    env.setenv("FLASK_SECRET_KEY", "k")
    env.setenv("FLASK_DEBUG", "1")
    env.setenv("FLASK_ENV", "development")
    import importlib

    from stacklab_flask import wsgi

    assert not importlib.reload(wsgi).app.debug


def test_unusable_history_db_is_a_clear_error(env, tmp_path):
    env.setenv("FLASK_SECRET_KEY", "k")
    (tmp_path / "a-file").write_text("")
    env.setenv("FLASK_HISTORY_DB", str(tmp_path / "a-file" / "history.sqlite3"))  # its folder is a file
    with pytest.raises(ConfigError, match="set FLASK_HISTORY_DB to a writable file"):
        create_app()
