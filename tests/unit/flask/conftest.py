"""flaskr-style fixtures: an app with its own temporary history database, and a test client."""

import pytest
from stacklab_flask import create_app


@pytest.fixture
def app(tmp_path):
    return create_app({"TESTING": True, "SECRET_KEY": "test-only", "HISTORY_DB": str(tmp_path / "history.sqlite3")})


@pytest.fixture
def client(app):
    return app.test_client()
