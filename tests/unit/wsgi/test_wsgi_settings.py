"""The app's settings from the environment: defaults, bad values refused at startup with a clear reason."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from stacklab_wsgi.settings import Settings

from tests.unit.servers import free_port
from tests.unit.wsgi.helpers import GUNICORN_CONF


def test_defaults():
    settings = Settings.from_env({})
    assert settings == Settings(Path("./wsgi-history.sqlite3"), 100, None)


@pytest.mark.parametrize("value", ["0", "-5", "ten", "1.5", ""])
def test_bad_history_max_is_refused(value):
    with pytest.raises(ValueError, match="WSGI_HISTORY_MAX"):
        Settings.from_env({"WSGI_HISTORY_MAX": value})


def test_secret_key_from_env_wins_over_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("from-file\n")
    assert Settings.from_env({"WSGI_SECRET_KEY_FILE": str(key_file)}).secret_key == b"from-file"
    both = {"WSGI_SECRET_KEY": "from-env", "WSGI_SECRET_KEY_FILE": str(key_file)}
    assert Settings.from_env(both).secret_key == b"from-env"


def test_secret_key_from_a_systemd_credential(tmp_path):
    """A VM's unit loads the key as a credential (LoadCredential=WSGI_SECRET_KEY), never as an environment
    variable; without one there, the key kept in the history database."""
    (tmp_path / "WSGI_SECRET_KEY").write_text("from-credential\n")
    assert Settings.from_env({"CREDENTIALS_DIRECTORY": str(tmp_path)}).secret_key == b"from-credential"
    assert Settings.from_env({"CREDENTIALS_DIRECTORY": str(tmp_path / "none")}).secret_key is None


def test_empty_secret_key_file_is_refused(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("\n")
    with pytest.raises(ValueError, match="empty file"):
        Settings.from_env({"WSGI_SECRET_KEY_FILE": str(key_file)})


def test_bad_settings_stop_gunicorn_with_the_reason():
    """A worker that cannot load its settings makes gunicorn exit (no half-configured server keeps running)."""
    proc = subprocess.run(
        [Path(sys.executable).parent / "gunicorn", "-c", GUNICORN_CONF],
        env={**os.environ, "GUNICORN_BIND": f"127.0.0.1:{free_port()}", "WSGI_HISTORY_MAX": "lots"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "WSGI_HISTORY_MAX must be a whole number of at least 1, not 'lots'" in proc.stdout + proc.stderr
