"""The WSGI echo served by a real gunicorn (2 workers, services/wsgi/conf/gunicorn.conf.py) on 127.0.0.1:
course section 2 item 9 (F and M) and section 4 items 8, 13, 15 and 19."""

import hashlib
import hmac
import re
import sqlite3
import threading
from urllib.parse import quote

import pytest
import requests
from stacklab_core.logs import GUNICORN_FORMAT

from tests.unit.wsgi.helpers import csrf_token, history_items, post_message

XSS = '<script>alert("x")</script>'
XSS_ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


@pytest.fixture
def site(start_gunicorn):
    return start_gunicorn()


def test_root_is_the_request_method_test(site):
    reply = requests.get(site.url("/"), timeout=10)
    assert (reply.status_code, reply.text) == (200, "The request method was GET")
    assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert requests.post(site.url("/"), timeout=10).text == "The request method was POST"


def test_form_page(site):
    reply = requests.get(site.url("/echo_wsgi.html"), timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<title>Echo request</title>" in reply.text and "<html" in reply.text and "<head>" in reply.text
    assert '<form method="GET" action="echo_wsgi.py">' in reply.text
    assert '<input type="text" id="message" name="message" size="40">' in reply.text


def test_echo(site):
    reply = requests.get(site.url("/echo_wsgi.py?message=Hi"), timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<title>Echo response</title>" in reply.text
    assert "<p>Message: Hi</p>" in reply.text


@pytest.mark.parametrize("query", ["", "?message=", "?message=+++", "?other=1"])
def test_missing_or_empty_message_is_a_400(site, query):
    reply = requests.get(site.url(f"/echo_wsgi.py{query}"), timeout=10)
    assert reply.status_code == 400
    assert "missing or empty" in reply.text


def test_unknown_path_is_a_real_404(site):
    reply = requests.get(site.url("/other"), timeout=10)
    assert reply.status_code == 404
    assert "<p>404 /other not found</p>" in reply.text
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"


def test_wrong_method_is_a_405_with_allow(site):
    for method, path, allow in (("POST", "/echo_wsgi.py", "GET, HEAD"), ("DELETE", "/history", "GET, HEAD, POST")):
        reply = requests.request(method, site.url(path), timeout=10)
        assert (reply.status_code, reply.headers["Allow"]) == (405, allow)


def test_head_has_headers_and_no_body(site):
    reply = requests.head(site.url("/echo_wsgi.html"), timeout=10)
    assert reply.status_code == 200
    assert int(reply.headers["Content-Length"]) > 0 and reply.content == b""


def test_security_headers(site):
    headers = requests.get(site.url("/echo_wsgi.py?message=x"), timeout=10).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in headers["Content-Security-Policy"]


def test_xss_payloads_come_back_escaped_everywhere(site):
    echo = requests.get(site.url("/echo_wsgi.py"), params={"message": XSS}, timeout=10).text
    missing = requests.get(site.url("/" + quote(XSS)), timeout=10).text
    with requests.Session() as session:
        assert post_message(site, session, XSS).status_code == 200
        history = session.get(site.url("/history"), timeout=10).text
    for page in (echo, missing, history):
        assert "<script>" not in page
        assert XSS_ESCAPED in page


def test_history_newest_first_and_seen_by_a_new_client(site):
    with requests.Session() as alice:
        for message in ("one", "two"):
            reply = post_message(site, alice, message)
            assert reply.status_code == 200 and reply.history[0].status_code == 303
            assert reply.url == site.url("/history")
    with requests.Session() as bob:
        page = bob.get(site.url("/history"), timeout=10).text
    assert history_items(page) == ["two", "one"]


def test_get_never_changes_the_history(site):
    for path in ("/history?message=sneaky", "/echo_wsgi.py?message=sneaky", "/?message=sneaky"):
        requests.get(site.url(path), timeout=10)
    assert history_items(requests.get(site.url("/history"), timeout=10).text) == []


@pytest.mark.parametrize(
    "forge",
    [
        lambda token, cookie: ({"message": "forged"}, {"wsgi_csrf": cookie}),  # no token
        lambda token, cookie: ({"message": "forged", "csrf_token": "0" * 64}, {"wsgi_csrf": cookie}),  # wrong one
        lambda token, cookie: ({"message": "forged", "csrf_token": token}, {}),  # token without its cookie
        lambda token, cookie: ({"message": "forged", "csrf_token": token}, {"wsgi_csrf": "A" * 43}),  # other cookie
    ],
    ids=["no-token", "wrong-token", "no-cookie", "other-cookie"],
)
def test_post_without_a_valid_csrf_token_is_a_403(site, forge):
    with requests.Session() as session:
        token = csrf_token(session.get(site.url("/history"), timeout=10).text)
        cookie = session.cookies["wsgi_csrf"]
    data, cookies = forge(token, cookie)
    reply = requests.post(site.url("/history"), data=data, cookies=cookies, timeout=10)
    assert reply.status_code == 403
    assert "CSRF" in reply.text
    assert history_items(requests.get(site.url("/history"), timeout=10).text) == []


def test_csrf_cookie_is_httponly_and_samesite_strict(site):
    cookie = requests.get(site.url("/history"), timeout=10).headers["Set-Cookie"]
    assert re.fullmatch(r"wsgi_csrf=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict", cookie)


def test_long_messages_are_refused_cleanly(site):
    with requests.Session() as session:
        assert post_message(site, session, "x" * 1000).status_code == 200  # the limit itself is fine
        too_long = post_message(site, session, "y" * 1001)
        huge = post_message(site, session, "z" * 100_000)
        echo = session.get(site.url("/echo_wsgi.py"), params={"message": "w" * 1001}, timeout=10)
    assert too_long.status_code == 413 and "longer than 1000 characters" in too_long.text
    assert huge.status_code == 413 and "larger than 16384 bytes" in huge.text
    assert echo.status_code == 413
    assert history_items(requests.get(site.url("/history"), timeout=10).text) == ["x" * 1000]


def test_empty_post_is_a_400_and_stores_nothing(site):
    with requests.Session() as session:
        assert post_message(site, session, "").status_code == 400
        assert post_message(site, session, "   ").status_code == 400
    assert history_items(requests.get(site.url("/history"), timeout=10).text) == []


def test_sql_metacharacters_are_stored_and_shown_literally(site, history_db):
    message = "Robert'); DROP TABLE messages; -- \" % _ \\"
    with requests.Session() as session:
        assert post_message(site, session, message).status_code == 200
        page = session.get(site.url("/history"), timeout=10).text
    assert history_items(page) == ["Robert&#x27;); DROP TABLE messages; -- &quot; % _ \\"]
    with sqlite3.connect(history_db) as conn:
        assert conn.execute("SELECT text FROM messages").fetchall() == [(message,)]


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("message=%zz%", "Message: %zz%"),
        ("message=%FF%FEok", "Message: \ufffd\ufffdok"),
        ("message=caf%C3%A9", "Message: café"),
    ],
)
def test_malformed_percent_encoding_and_bad_utf8_are_handled(site, query, shown):
    reply = requests.get(site.url(f"/echo_wsgi.py?{query}"), timeout=10)
    assert reply.status_code == 200
    assert shown in reply.text


def test_bad_utf8_in_a_posted_message_is_replaced(site):
    with requests.Session() as session:
        token = csrf_token(session.get(site.url("/history"), timeout=10).text)
        body = f"message=ok%FF&csrf_token={token}"
        reply = session.post(
            site.url("/history"),
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=10,
        )
        assert reply.status_code == 200
        assert history_items(reply.text) == ["ok\ufffd"]


def test_bad_bodies_are_4xx_not_500(site):
    with requests.Session() as session:
        session.get(site.url("/history"), timeout=10)
        json = session.post(site.url("/history"), json={"message": "x"}, timeout=10)
        many = session.post(site.url("/history"), data="&".join(f"f{i}=1" for i in range(50)), timeout=10)
    assert json.status_code == 415
    assert many.status_code in (400, 415)
    many_form = requests.post(
        site.url("/history"),
        data="&".join(f"f{i}=1" for i in range(50)),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert many_form.status_code == 400


def test_history_is_bounded(start_gunicorn):
    site = start_gunicorn(WSGI_HISTORY_MAX="3")
    with requests.Session() as session:
        for n in range(5):
            post_message(site, session, f"m{n}")
        assert history_items(session.get(site.url("/history"), timeout=10).text) == ["m4", "m3", "m2"]


def test_history_is_shared_by_every_worker(start_gunicorn):
    """Tag each read (?probe=N) and find the worker's pid in the access log: once two different workers have listed
    both messages, each message was read by a worker other than the one that stored it."""
    # The deployed access log plus the worker's pid (GUNICORN_CMD_ARGS beats the conf file).
    site = start_gunicorn(GUNICORN_CMD_ARGS=f"--access-logformat '{GUNICORN_FORMAT} pid=%(p)s'")
    with requests.Session() as session:
        post_message(site, session, "one")
        post_message(site, session, "two")
    readers: set[str] = set()
    for probe in range(200):
        page = requests.get(site.url(f"/history?probe={probe}"), timeout=10).text  # a new connection each time
        assert history_items(page) == ["two", "one"]
        log = site.server.wait_for_log(f"probe={probe} ")
        readers.add(re.search(rf'"GET /history\?probe={probe} HTTP/1.1" 200 .* pid=<(\d+)>', log).group(1))
        if len(readers) == 2:
            break
    assert len(readers) == 2, f"every read was served by one worker: {readers}"


def test_concurrent_posts_lose_nothing(site):
    errors: list[str] = []

    def client(n: int) -> None:
        with requests.Session() as session:
            reply = post_message(site, session, f"c{n}")
            if reply.status_code != 200:
                errors.append(f"{n}: {reply.status_code}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    items = history_items(requests.get(site.url("/history"), timeout=10).text)
    assert sorted(items) == sorted(f"c{n}" for n in range(20))


def test_history_and_csrf_key_survive_a_restart(start_gunicorn):
    site = start_gunicorn()
    with requests.Session() as session:
        post_message(site, session, "before restart")
        token = csrf_token(session.get(site.url("/history"), timeout=10).text)
        assert site.server.stop() == 0  # SIGTERM: a clean stop
        site = start_gunicorn(port=site.port)
        assert history_items(session.get(site.url("/history"), timeout=10).text) == ["before restart"]
        # The key lives in the database when none is configured, so a page loaded before the restart still posts.
        reply = session.post(site.url("/history"), data={"message": "after", "csrf_token": token}, timeout=10)
    assert reply.status_code == 200
    assert history_items(reply.text) == ["after", "before restart"]


def test_secret_key_file_is_the_csrf_key(start_gunicorn, tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text("s3cret-from-a-file\n")
    site = start_gunicorn(WSGI_SECRET_KEY_FILE=str(key_file))
    cookie = "B" * 43
    token = hmac.new(b"s3cret-from-a-file", cookie.encode(), hashlib.sha256).hexdigest()
    reply = requests.post(
        site.url("/history"), data={"message": "keyed", "csrf_token": token}, cookies={"wsgi_csrf": cookie}, timeout=10
    )
    assert reply.status_code == 200
    assert history_items(reply.text) == ["keyed"]


def test_healthz_checks_the_store(start_gunicorn, tmp_path):
    healthy = start_gunicorn()
    assert (requests.get(healthy.url("/healthz"), timeout=10).text) == "ok\n"
    broken = start_gunicorn(WSGI_HISTORY_DB=str(tmp_path / "no-such-dir" / "history.sqlite3"))
    reply = requests.get(broken.url("/healthz"), timeout=10)
    assert (reply.status_code, reply.text) == (503, "unavailable: history store\n")
    history = requests.get(broken.url("/history"), timeout=10)
    assert history.status_code == 503 and "Traceback" not in history.text
    assert requests.get(broken.url("/echo_wsgi.py?message=still"), timeout=10).status_code == 200
    broken.server.wait_for_log("unable to open database file")


def test_logs_go_to_stdout(site):
    requests.get(site.url("/echo_wsgi.py?message=logged"), timeout=10)
    site.server.wait_for_log('"GET /echo_wsgi.py?message=logged HTTP/1.1" 200')
