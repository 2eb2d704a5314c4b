"""A correct echo_wsgi on wsgiref.simple_server (the course's runner): routing on PATH_INFO, the query read with
parse_qs, the message escaped, a real Content-Type, 400 for an empty or missing message, 404 for any other path.

expect: pass
"""

import html
import sys
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

port = int(sys.argv[1])
FORM = """<!DOCTYPE html>
<html><head><title>Echo request</title></head><body>
<form method="GET" action="echo_wsgi.py">
<input type="text" name="message" size="40"> <input type="submit" value="Submit">
</form></body></html>
"""


def page(title: str, body: str) -> str:
    return f"<!DOCTYPE html>\n<html><head><title>{title}</title></head><body>{body}</body></html>\n"


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    status = "200 OK"
    if path == "/echo_wsgi.html":
        text = FORM
    elif path == "/echo_wsgi.py":
        message = (parse_qs(environ.get("QUERY_STRING", "")).get("message") or [""])[0]
        if message:
            text = page("Echo response", f"<p>Message: {html.escape(message)}</p>")
        else:
            status, text = "400 Bad Request", page("Echo response", "<p>Please type a message.</p>")
    else:
        status, text = "404 Not Found", page("404 Not Found", f"<p>404 {html.escape(path)} not found</p>")
    body = text.encode()
    start_response(status, [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


make_server("127.0.0.1", port, application, handler_class=QuietHandler).serve_forever()
