"""The week-7 lab variant: all messages, newest first, escaped; POST with a CSRF token; bounded; one shared store."""

import re
import shutil
from pathlib import Path

import pytest
from stacklab_flask import create_app


def csrf_token(client) -> str:
    html = client.get("/messages").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def post(client, message: str, token: str | None = None):
    return client.post("/messages", data={"message": message, "csrf_token": token or csrf_token(client)})


def listed(client) -> list[str]:
    html = client.get("/messages").get_data(as_text=True)
    return re.findall(r"<li><time>[^<]*</time> (.*)</li>", html)


def test_messages_are_listed_newest_first(client):
    for message in ("one", "two", "three"):
        r = post(client, message)
        assert r.status_code == 303
        assert r.headers["Location"] == "/messages"
    assert listed(client) == ["three", "two", "one"]


def test_another_client_sees_the_messages(app, client):
    post(client, "from the first client")
    assert listed(app.test_client()) == ["from the first client"]


def test_gunicorn_workers_share_the_store(app, client):
    other_worker = create_app(dict(app.config))  # a second app on the same file, like a second gunicorn worker
    post(client, "written by worker one")
    assert listed(other_worker.test_client()) == ["written by worker one"]


def test_messages_are_escaped(client):
    post(client, "<script>alert('x')</script>")
    html = client.get("/messages").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_post_without_token_is_refused(client):
    client.get("/messages")  # the session has a token, the form below does not carry it
    r = client.post("/messages", data={"message": "forged"})
    assert r.status_code == 400
    assert "CSRF token" in r.get_data(as_text=True)
    assert listed(client) == []


def test_post_with_wrong_token_is_refused(client):
    csrf_token(client)
    assert post(client, "forged", token="not-the-token").status_code == 400
    assert listed(client) == []


def test_token_of_another_session_is_refused(app, client):
    stolen = csrf_token(app.test_client())
    csrf_token(client)
    assert post(client, "forged", token=stolen).status_code == 400


def test_post_without_session_is_refused(app):
    r = app.test_client().post("/messages", data={"message": "forged", "csrf_token": "anything"})
    assert r.status_code == 400


def test_100kb_message_is_refused_and_nothing_is_stored(client):
    r = post(client, "x" * 100_000)
    assert r.status_code == 413
    assert listed(client) == []
    assert post(client, "still works").status_code == 303


def test_long_message_is_refused(client):
    r = post(client, "x" * 1001)
    assert r.status_code == 400
    assert "longer than 1000 characters" in r.get_data(as_text=True)
    assert post(client, "x" * 1000).status_code == 303


@pytest.mark.parametrize("message", ["", "   "])
def test_empty_message_is_refused(client, message):
    assert post(client, message).status_code == 400
    assert listed(client) == []


def test_history_is_bounded(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "HISTORY_DB": str(tmp_path / "h.db"), "HISTORY_LIMIT": 3})
    client = app.test_client()
    for n in range(5):
        post(client, f"m{n}")
    assert listed(client) == ["m4", "m3", "m2"]


def test_history_survives_a_restart(app, client):
    post(client, "before restart")
    assert listed(create_app(dict(app.config)).test_client()) == ["before restart"]


def test_healthz_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_data(as_text=True) == "ok"


def test_healthz_503_when_the_store_is_gone(app, client):
    db = Path(app.config["HISTORY_DB"])
    for path in db.parent.glob(db.name + "*"):
        path.unlink()
    db.mkdir()  # a directory where the database file was: SQLite cannot open it
    try:
        r = client.get("/healthz")
        assert r.status_code == 503
        assert "history store unavailable" in r.get_data(as_text=True)
    finally:
        shutil.rmtree(db)
