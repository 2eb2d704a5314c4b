"""Adds any POSTed message: no token in the form, none checked (a page on another site can post).

expect: no-csrf
"""

import html
import secrets
import sys
from http.cookies import SimpleCookie
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

port = int(sys.argv[1])
history = []  # every message since startup, newest first


def page(title, body):
    return f"<!DOCTYPE html>\n<html><head><title>{title}</title></head><body>{body}</body></html>\n"


def application(environ, start_response):
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    token = cookie["token"].value if "token" in cookie else secrets.token_hex(16)
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Set-Cookie", f"token={token}; HttpOnly; SameSite=Strict"),
    ]
    status = "200 OK"
    if path == "/echo_wsgi.py":
        message = (parse_qs(environ.get("QUERY_STRING", "")).get("message") or [""])[0]
        text = page("Echo response", f"<p>Message: {html.escape(message)}</p>")
    elif path == "/history" and method == "POST":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        fields = parse_qs(environ["wsgi.input"].read(size).decode())
        message = (fields.get("message") or [""])[0]
        if False:
            status, text = "403 Forbidden", page("Forbidden", "<p>The form's token is missing or wrong.</p>")
        elif not message:
            status, text = "400 Bad Request", page("Bad request", "<p>Please type a message.</p>")
        else:
            history.insert(0, message)
            status, text = "303 See Other", ""
            headers.append(("Location", "/history"))
    elif path == "/history":
        items = "".join(f"<li>{html.escape(message)}</li>\n" for message in history)
        form = (
            '<form method="POST" action="/history">'
            f'<input type="hidden" name="token" value="{token}">'
            '<input type="text" name="message" size="40"><input type="submit" value="Submit"></form>'
        )
        text = page("Message history", f"{form}\n<ul>\n{items}</ul>")
    else:
        status, text = "404 Not Found", page("404 Not Found", f"<p>404 {html.escape(path)} not found</p>")
    body = text.encode()
    headers.append(("Content-Length", str(len(body))))
    start_response(status, headers)
    return [body]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


make_server("127.0.0.1", port, application, server_class=WSGIServer, handler_class=QuietHandler).serve_forever()
