"""Keeps the history in a cookie (a list per visitor): each visitor sees only their own messages.

expect: history-not-shared
"""

import base64
import html
import json
import secrets
import sys
from http.cookies import SimpleCookie
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

port = int(sys.argv[1])


def page(title, body):
    return f"<!DOCTYPE html>\n<html><head><title>{title}</title></head><body>{body}</body></html>\n"


def application(environ, start_response):
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    token = cookie["token"].value if "token" in cookie else secrets.token_hex(16)
    history = json.loads(base64.urlsafe_b64decode(cookie["history"].value)) if "history" in cookie else []
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Set-Cookie", f"token={token}")]
    status = "200 OK"
    if path == "/history" and method == "POST":
        fields = parse_qs(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode())
        if fields.get("token") != [token] or not fields.get("message"):
            status, text = "403 Forbidden", page("Forbidden", "<p>no</p>")
        else:
            history.insert(0, fields["message"][0])
            saved = base64.urlsafe_b64encode(json.dumps(history).encode()).decode()
            status, text = "303 See Other", ""
            headers += [("Location", "/history"), ("Set-Cookie", f"history={saved}")]
    elif path == "/history":
        items = "".join(f"<li>{html.escape(message)}</li>\n" for message in history)
        form = (
            f'<form method="POST" action="/history"><input type="hidden" name="token" value="{token}">'
            '<input type="text" name="message"><input type="submit"></form>'
        )
        text = page("Message history", f"{form}\n<ul>\n{items}</ul>")
    else:
        status, text = "404 Not Found", page("404 Not Found", f"<p>404 {html.escape(path)} not found</p>")
    body = text.encode()
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return [body]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


make_server("127.0.0.1", port, application, handler_class=QuietHandler).serve_forever()
