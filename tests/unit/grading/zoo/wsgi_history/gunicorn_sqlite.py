"""A correct week-7 echo_wsgi under gunicorn with two worker processes: the history in SQLite (history.sqlite3
in the directory it runs in), which both workers share; the CSRF token an HMAC of the visitor's cookie under a
key made before the workers fork; post/redirect/get.

expect: pass
"""

import hashlib
import hmac
import html
import secrets
import sqlite3
import sys
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from gunicorn.app.base import BaseApplication

HOST, port = "127.0.0.1", int(sys.argv[1])
KEY = secrets.token_bytes(32)  # made in the master: every worker has the same
DB = "history.sqlite3"


def store() -> sqlite3.Connection:
    db = sqlite3.connect(DB, timeout=5, isolation_level=None)
    db.execute("CREATE TABLE IF NOT EXISTS message (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL)")
    return db


def token_of(visitor: str) -> str:
    return hmac.new(KEY, visitor.encode(), hashlib.sha256).hexdigest()


def respond(start_response, status, text, extra=()):
    body = text.encode()
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))), *extra]
    start_response(status, headers)
    return [body]


def application(environ, start_response):
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    visitor = cookie["visitor"].value if "visitor" in cookie else ""
    if path != "/history":
        return respond(start_response, "404 Not Found", f"<p>404 {html.escape(path)} not found</p>")
    if method == "POST":
        fields = parse_qs(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode())
        if not visitor or not hmac.compare_digest(fields.get("csrf", [""])[0], token_of(visitor)):
            return respond(start_response, "403 Forbidden", "<p>Reload the page and send again.</p>")
        message = fields.get("message", [""])[0].strip()
        if not message:
            return respond(start_response, "400 Bad Request", "<p>Please type a message.</p>")
        with store() as db:
            db.execute("INSERT INTO message (text) VALUES (?)", (message,))
        return respond(start_response, "303 See Other", "", [("Location", "/history")])
    visitor = visitor or secrets.token_hex(16)
    with store() as db:
        rows = db.execute("SELECT text FROM message ORDER BY id DESC").fetchall()
    items = "".join(f"<li>{html.escape(text)}</li>" for (text,) in rows)
    text = (
        "<!DOCTYPE html><title>Message history</title>"
        f'<form method="post" action="history"><input type="hidden" name="csrf" value="{token_of(visitor)}">'
        f'<input name="message"><button>Send</button></form><ol>{items}</ol>'
    )
    return respond(start_response, "200 OK", text, [("Set-Cookie", f"visitor={visitor}; HttpOnly; SameSite=Lax")])


class Server(BaseApplication):
    def load_config(self):
        for key, value in {"bind": f"{HOST}:{port}", "workers": 2, "loglevel": "warning"}.items():
            self.cfg.set(key, value)

    def load(self):
        return application


Server().run()
