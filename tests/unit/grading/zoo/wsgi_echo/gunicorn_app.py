"""A correct echo_wsgi as a callable object, served by gunicorn with two worker processes (a different server
from the course's wsgiref): a route table, errors as status codes, every page escaped.

expect: pass
"""

import html
import sys
from http import HTTPStatus
from urllib.parse import parse_qs

from gunicorn.app.base import BaseApplication

HOST, port = "127.0.0.1", int(sys.argv[1])


class EchoApp:
    def __init__(self):
        self.routes = {"/echo_wsgi.html": self.form, "/echo_wsgi.py": self.echo}

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        handler = self.routes.get(path)
        code, title, body = handler(environ) if handler else (404, "Not found", f"404 {path} not found")
        data = f"<!DOCTYPE html><title>{title}</title>\n<body>{body}</body>\n".encode()
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data)))]
        start_response(f"{code} {HTTPStatus(code).phrase}", headers)
        return [data]

    def form(self, environ):
        field = '<input type="text" name="message" size="40"><input type="submit" value="Submit">'
        return 200, "Echo request", f'<form action="echo_wsgi.py">{field}</form>'

    def echo(self, environ):
        messages = parse_qs(environ.get("QUERY_STRING", "")).get("message")
        if not messages:
            return 400, "Bad request", "no message"
        return 200, "Echo response", "Message: " + html.escape(messages[0])


class Server(BaseApplication):
    def load_config(self):
        for key, value in {"bind": f"{HOST}:{port}", "workers": 2, "loglevel": "warning"}.items():
            self.cfg.set(key, value)

    def load(self):
        return EchoApp()


Server().run()
