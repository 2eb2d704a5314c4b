"""The course's echo_tests.py (week 7) as pytest, with the passing `Hello` assertion instead of the failing one.

One honest change: the course's echo app was alone, so `GET /` was its 404. Here the bookshop owns `/`, so the
404 case is a path the echo does not serve, and `/` is checked to be the bookshop, not the echo.
"""


def test_root_is_the_bookshop_not_the_echo(client):
    r = client.get("/")
    assert r.status_code == 200
    assert b"Book Database" in r.data
    assert b"Message:" not in r.data


def test_path_the_echo_does_not_serve_is_404(client):
    assert client.get("/echo_flask").status_code == 404


def test_form(client):
    r = client.get("/echo_flask.html")
    assert r.status_code == 200
    assert b'action="echo_flask.py"' in r.data


def test_message_page(client):
    r = client.get("/echo_flask.py?message=Hello")
    assert r.status_code == 200
    assert "Hello" in r.get_data(as_text=True)  # the course's commented-out "demonstrate success" assertion
